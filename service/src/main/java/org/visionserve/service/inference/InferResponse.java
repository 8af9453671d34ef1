package org.visionserve.service.inference;

import java.util.List;
import java.util.Map;

/** An inference response: the model and version that answered, the request's id, the outputs in request order. */
public record InferResponse(String model, String version, String id, Map<String, Object> parameters,
                            List<OutputTensor> outputs) {
}
