package org.visionserve.service.runtime;

/** ONNX Runtime failed on a request: a server-side error. */
public class InferenceException extends RuntimeException {

    private final String modelId;

    public InferenceException(String modelId, Throwable cause) {
        super("inference on model '" + modelId + "' failed: " + cause.getMessage(), cause);
        this.modelId = modelId;
    }

    public String modelId() {
        return modelId;
    }
}
