package org.visionserve.service.inference;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * One output of a response: FP32 {@code values}, or BYTES {@code strings} (the classification
 * extension's {@code "score:index:label"}).
 */
public record OutputTensor(String name, DataType datatype, long[] shape, float[] values, List<byte[]> strings) {

    public static OutputTensor fp32(String name, long[] shape, float[] values) {
        return new OutputTensor(name, DataType.FP32, shape, values, null);
    }

    public static OutputTensor bytes(String name, long[] shape, List<byte[]> strings) {
        return new OutputTensor(name, DataType.BYTES, shape, null, strings);
    }

    /**
     * The tensor's bytes as the protocol's raw form has them (binary extension, gRPC
     * {@code raw_output_contents}): little-endian elements, or for BYTES each element preceded by its
     * length as a 4-byte little-endian integer.
     */
    public ByteBuffer raw() {
        if (datatype == DataType.BYTES) {
            int size = 0;
            for (byte[] s : strings) {
                size += 4 + s.length;
            }
            ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
            for (byte[] s : strings) {
                b.putInt(s.length).put(s);
            }
            return b.flip();
        }
        ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b;
    }

    /** The size of {@link #raw()} in bytes. */
    public long rawSize() {
        if (datatype == DataType.BYTES) {
            long size = 0;
            for (byte[] s : strings) {
                size += 4 + s.length;
            }
            return size;
        }
        return (long) values.length * Float.BYTES;
    }
}
