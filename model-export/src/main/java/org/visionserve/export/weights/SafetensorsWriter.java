package org.visionserve.export.weights;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes safetensors files, e.g. to convert a PyTorch checkpoint once or to make test checkpoints.
 * Tensors are stored as F32, or F16 / BF16 (rounded to nearest even) when asked.
 */
public final class SafetensorsWriter {

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, String> dtypes = new LinkedHashMap<>();

    public SafetensorsWriter add(String key, Tensor t) {
        return add(key, t, "F32");
    }

    public SafetensorsWriter add(String key, Tensor t, String dtype) {
        if (!List.of("F32", "F16", "BF16").contains(dtype)) {
            throw new IllegalArgumentException("unsupported dtype " + dtype);
        }
        tensors.put(key, t);
        dtypes.put(key, dtype);
        return this;
    }

    public void write(Path file) throws IOException {
        ObjectNode header = JsonMapper.shared().createObjectNode();
        long offset = 0;
        for (var e : tensors.entrySet()) {
            long bytes = e.getValue().elementCount() * CheckpointWeights.dtypeSize(dtypes.get(e.getKey()));
            ObjectNode info = header.putObject(e.getKey());
            info.put("dtype", dtypes.get(e.getKey()));
            var shape = info.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            info.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JsonMapper.shared().writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the format pads the header with spaces to 8 bytes
        try (OutputStream out = Files.newOutputStream(file);
             WritableByteChannel ch = Channels.newChannel(out)) {
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(json);
            while (head.hasRemaining()) {
                head.put((byte) ' ');
            }
            ch.write(head.flip());
            for (var e : tensors.entrySet()) {
                ch.write(encode(e.getValue(), dtypes.get(e.getKey())));
            }
        }
    }

    private static ByteBuffer encode(Tensor t, String dtype) {
        if (dtype.equals("F32")) {
            return t.data().duplicate();
        }
        int n = (int) t.elementCount();
        ByteBuffer out = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            float v = t.get(i);
            out.putShort(dtype.equals("F16") ? floatToHalf(v) : floatToBfloat16(v));
        }
        return out.flip();
    }

    static short floatToBfloat16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** float32 to IEEE binary16, round to nearest even (as numpy's astype(float16)). */
    static short floatToHalf(float v) {
        int bits = Float.floatToRawIntBits(v);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) { // inf or NaN
            return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0));
        }
        if (abs >= 0x477ff000) { // rounds to >= 65520: overflow to inf
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) { // below the smallest normal half: subnormal or zero
            float scaled = Float.intBitsToFloat(abs) * 0x1.0p24f; // in units of 2^-24
            return (short) (sign | Math.round(Math.rint(scaled)));
        }
        int exp = (abs >>> 23) - 112;
        int mant = abs & 0x7fffff;
        int half = (exp << 10) | (mant >>> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) (sign | half);
    }
}
