package org.visionserve.service.runtime;

/** No model of that id in the repository. */
public class UnknownModelException extends RuntimeException {

    private final String modelId;

    public UnknownModelException(String modelId) {
        super("no model '" + modelId + "'; GET /v1/models lists the models served");
        this.modelId = modelId;
    }

    public String modelId() {
        return modelId;
    }
}
