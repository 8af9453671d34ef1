package org.visionserve.service.inference;

import java.util.List;
import java.util.Map;

/**
 * An inference request as the protocol states it, whatever carried it.
 *
 * @param version    the version the request named; null or empty for the model's current one
 * @param id         echoed in the response; may be null
 * @param parameters request parameters (never null)
 * @param outputs    the outputs asked for; empty means all of the model's, unmodified
 */
public record InferRequest(String model, String version, String id, Map<String, Object> parameters,
                           List<InferInput> inputs, List<RequestedOutput> outputs) {

    public InferRequest {
        parameters = parameters == null ? Map.of() : parameters;
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
    }
}
