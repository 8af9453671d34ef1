package org.visionserve.export.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Weights read from a checkpoint file, strictly: a key the architecture asks for must be there with
 * the reference shape, and every key in the file must be one the architecture declares. Floating
 * point dtypes are converted to float32; anything else is refused naming the key.
 */
public abstract class CheckpointWeights implements WeightSource {

    /** One stored tensor: its dtype name (safetensors spelling: F32, F16, BF16, F64, I64...) and raw little-endian bytes. */
    protected record Entry(String dtype, long[] shape, ByteBuffer bytes) {
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Provenance provenance;

    protected CheckpointWeights(Provenance provenance) {
        this.provenance = provenance;
    }

    protected void put(String key, Entry entry) {
        if (entries.putIfAbsent(key, entry) != null) {
            throw new WeightsException("checkpoint holds key '" + key + "' twice");
        }
    }

    /** The keys in the file, in file order. */
    public Set<String> keys() {
        return entries.keySet();
    }

    @Override
    public Tensor load(String key, long[] shape) {
        Entry e = entries.get(key);
        if (e == null) {
            throw new WeightsException("missing key '" + key + "' (expected shape " + Arrays.toString(shape)
                    + ") in " + provenance.file());
        }
        if (!Arrays.equals(e.shape(), shape)) {
            throw new WeightsException("key '" + key + "' has shape " + Arrays.toString(e.shape())
                    + " in the checkpoint but the architecture expects " + Arrays.toString(shape));
        }
        return new Tensor(shape, toFloat32(key, e));
    }

    @Override
    public void verifyComplete(Collection<String> declaredKeys) {
        Set<String> declared = new HashSet<>(declaredKeys);
        Set<String> unexpected = new TreeSet<>();
        for (String key : entries.keySet()) {
            if (!declared.contains(key)) {
                unexpected.add(key);
            }
        }
        if (!unexpected.isEmpty()) {
            List<String> shown = unexpected.stream().limit(10).toList();
            throw new WeightsException(unexpected.size() + " unexpected key(s) in " + provenance.file()
                    + ", e.g. " + shown + " (is this checkpoint for another architecture?)");
        }
    }

    @Override
    public Provenance provenance() {
        return provenance;
    }

    private static ByteBuffer toFloat32(String key, Entry e) {
        ByteBuffer in = e.bytes().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = Math.toIntExact(Tensor.elementCount(e.shape()));
        if ("F32".equals(e.dtype())) {
            return in; // zero-copy: a slice of the mapped file
        }
        ByteBuffer out = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        switch (e.dtype()) {
            case "F16" -> {
                for (int i = 0; i < n; i++) {
                    out.putFloat(halfToFloat(in.getShort(i * 2)));
                }
            }
            case "BF16" -> {
                for (int i = 0; i < n; i++) {
                    out.putFloat(Float.intBitsToFloat((in.getShort(i * 2) & 0xffff) << 16));
                }
            }
            case "F64" -> {
                for (int i = 0; i < n; i++) {
                    out.putFloat((float) in.getDouble(i * 8));
                }
            }
            default -> throw new WeightsException("key '" + key + "' has dtype " + e.dtype()
                    + "; only F32, F16, BF16 and F64 weights can be loaded");
        }
        return out.flip();
    }

    /** IEEE 754 binary16 to float32, exact (subnormals, infinities and NaN included). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant * 0x1.0p-24f; // subnormal: mant * 2^-24, exact in float32
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Element size in bytes of a safetensors dtype, or -1 if unknown. */
    protected static int dtypeSize(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }
}
