package org.visionserve.export.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The deterministic weight generator of {@code shared/spec/seeded-init.md}: a value depends only on
 * the tensor's name, its reference shape and a 64-bit seed, so Java and the Python references
 * produce bit-identical float32 tensors. All integer arithmetic wraps modulo 2^64.
 */
public final class SeededInit {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

    private SeededInit() {
    }

    /** FNV-1a 64 of the name's UTF-8 bytes. */
    public static long fnv1a64(String name) {
        long h = FNV_OFFSET;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * FNV_PRIME;
        }
        return h;
    }

    /** The uniform value r in [-1, 1) of element {@code i} of the stream {@code key}. */
    static double r(long key, long i) {
        long z = key + (i + 1) * GOLDEN_GAMMA;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        double u = (z >>> 11) * TWO_POW_MINUS_53;
        return 2 * u - 1;
    }

    /** The first {@code n} raw values r of the stream {@code name} (used for golden inputs). */
    public static double[] stream(String name, int n, long seed) {
        long key = fnv1a64(name) ^ seed;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = r(key, i);
        }
        return out;
    }

    /** The stream {@code name} as float32 inputs, values r rounded once to float. */
    public static float[] input(String name, int n, long seed) {
        long key = fnv1a64(name) ^ seed;
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) r(key, i);
        }
        return out;
    }

    /** The seeded value of a parameter or buffer: the spec's rule table, first match wins. */
    public static Tensor tensor(String name, long[] shape, long seed) {
        long count = Tensor.elementCount(shape);
        if (count > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("tensor " + name + " is too large: " + count + " elements");
        }
        ByteBuffer data = ByteBuffer.allocate((int) count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        if (name.endsWith("num_batches_tracked")) {
            return new Tensor(shape, data); // all zeros
        }
        long key = fnv1a64(name) ^ seed;
        Rule rule = Rule.of(name, shape);
        double scale = rule == Rule.HE_UNIFORM ? Math.sqrt(6.0 / fanIn(shape)) : 0;
        for (int i = 0; i < count; i++) {
            double r = r(key, i);
            double v = switch (rule) {
                case RUNNING_VAR -> 1 + 0.1 * r;
                case RUNNING_MEAN, BIAS, SCALAR -> 0.1 * r;
                case HE_UNIFORM -> r * scale;
                case ONE_PLUS -> 1 + 0.1 * r;
            };
            data.putFloat((float) v);
        }
        return new Tensor(shape, data.flip());
    }

    static long fanIn(long[] shape) {
        long f = 1;
        for (int i = 1; i < shape.length; i++) {
            f *= shape[i];
        }
        return f;
    }

    private enum Rule {
        RUNNING_VAR, RUNNING_MEAN, HE_UNIFORM, BIAS, ONE_PLUS, SCALAR;

        static Rule of(String name, long[] shape) {
            if (name.endsWith("running_var")) {
                return RUNNING_VAR;
            }
            if (name.endsWith("running_mean")) {
                return RUNNING_MEAN;
            }
            if (shape.length >= 2) {
                return HE_UNIFORM;
            }
            if (shape.length == 1) {
                return name.endsWith("bias") ? BIAS : ONE_PLUS;
            }
            return SCALAR;
        }
    }
}
