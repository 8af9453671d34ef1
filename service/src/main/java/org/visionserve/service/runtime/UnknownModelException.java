package org.visionserve.service.runtime;

/** No model of that id in the repository, or no such version of it. */
public class UnknownModelException extends RuntimeException {

    private final String modelId;
    private final Integer version;

    public UnknownModelException(String modelId) {
        super("no model '" + modelId + "'; GET /v1/models lists the models served");
        this.modelId = modelId;
        this.version = null;
    }

    public UnknownModelException(String modelId, int version) {
        super("model '" + modelId + "' has no version " + version + "; GET /v1/models/" + modelId + " lists its versions");
        this.modelId = modelId;
        this.version = version;
    }

    public String modelId() {
        return modelId;
    }

    /** The version asked for when the model exists but not that version; null otherwise. */
    public Integer version() {
        return version;
    }
}
