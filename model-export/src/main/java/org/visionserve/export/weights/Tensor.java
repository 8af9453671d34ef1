package org.visionserve.export.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A float32 tensor in the reference (PyTorch) shape, held as little-endian bytes so that it can
 * become an ONNX initializer without a per-element copy. The buffer may be a slice of a
 * memory-mapped checkpoint.
 */
public record Tensor(long[] shape, ByteBuffer data) {

    public Tensor {
        shape = shape.clone();
        data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
        long expected = elementCount(shape) * Float.BYTES;
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " needs "
                    + expected + " bytes, got " + data.remaining());
        }
    }

    public static Tensor of(long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new Tensor(shape, b);
    }

    public long elementCount() {
        return elementCount(shape);
    }

    public float get(int i) {
        return data.getFloat(i * Float.BYTES);
    }

    /** A copy of the values; for tests and small tensors only. */
    public float[] toFloatArray() {
        float[] out = new float[(int) elementCount()];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(shape) * 31 + data.hashCode();
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
