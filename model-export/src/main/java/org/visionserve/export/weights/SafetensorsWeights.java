package org.visionserve.export.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A safetensors checkpoint (the format timm publishes): an 8-byte little-endian header length, a
 * JSON header naming each tensor's dtype, shape and byte range, then the data. The file is
 * memory-mapped; F32 tensors are handed on as slices of the mapping, without a copy.
 */
public final class SafetensorsWeights extends CheckpointWeights {

    /** Larger headers are refused: real ones are a few hundred KB. */
    private static final long MAX_HEADER_BYTES = 100L << 20;

    private SafetensorsWeights(Path file, String sha256) {
        super(Provenance.checkpoint(file.getFileName().toString(), sha256, "safetensors"));
    }

    public static SafetensorsWeights open(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new WeightsException(file + " is not a safetensors file: only " + size + " bytes");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
                throw new WeightsException(file + " is not a safetensors file: header length " + headerLen
                        + " does not fit a file of " + size + " bytes");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            ch.read(header, 8);
            JsonNode root = JsonMapper.shared().readTree(new String(header.array(), StandardCharsets.UTF_8));

            SafetensorsWeights weights = new SafetensorsWeights(file, Checksums.sha256(ch));
            long dataStart = 8 + headerLen;
            for (Map.Entry<String, JsonNode> field : root.properties()) {
                String key = field.getKey();
                if (key.equals("__metadata__")) {
                    continue;
                }
                JsonNode info = field.getValue();
                String dtype = info.path("dtype").asString("");
                long[] shape = new long[info.path("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = info.path("shape").get(i).asLong();
                }
                long begin = info.path("data_offsets").path(0).asLong(-1);
                long end = info.path("data_offsets").path(1).asLong(-1);
                int elemSize = dtypeSize(dtype);
                if (elemSize < 0) {
                    throw new WeightsException("key '" + key + "' has unknown dtype '" + dtype + "'");
                }
                if (begin < 0 || end < begin || dataStart + end > size
                        || end - begin != Tensor.elementCount(shape) * elemSize) {
                    throw new WeightsException("key '" + key + "' has byte range [" + begin + ", " + end
                            + ") that does not match its " + dtype + " shape or the file size");
                }
                MappedByteBuffer bytes = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, end - begin);
                weights.put(key, new Entry(dtype, shape, bytes));
            }
            return weights;
        } catch (IOException | tools.jackson.core.JacksonException e) {
            throw new WeightsException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
        }
    }
}
