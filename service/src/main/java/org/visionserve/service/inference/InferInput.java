package org.visionserve.service.inference;

import java.util.List;
import java.util.Map;

/**
 * One input tensor of a request, without its numeric data: that is written into
 * {@link PreparedInference#buffer} once the request is validated and admitted (so a large body is
 * read straight into the buffer ONNX Runtime reads). {@link DataType#BYTES} elements are given here,
 * as they are needed to validate and cost the request (an encoded image is probed before admission).
 *
 * @param parameters the protocol's per-tensor parameters (never null)
 * @param bytes      the elements of a BYTES tensor, in row-major order; null for other datatypes
 */
public record InferInput(String name, DataType datatype, long[] shape, Map<String, Object> parameters,
                         List<byte[]> bytes) {

    public InferInput {
        parameters = parameters == null ? Map.of() : parameters;
    }

    /** A numeric tensor, its data to follow. */
    public static InferInput numeric(String name, DataType datatype, long[] shape) {
        return new InferInput(name, datatype, shape, Map.of(), null);
    }
}
