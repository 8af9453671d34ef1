package org.visionserve.service.runtime;

/** The model exists but cannot serve: still loading, failed to load, or disabled. */
public class ModelUnavailableException extends RuntimeException {

    private final String modelId;
    private final ModelStatus status;

    public ModelUnavailableException(ServedModel model) {
        super(switch (model.status()) {
            case LOADING -> "model '" + model.id() + "' is still loading; retry shortly";
            // the reason (an exception's class and message) is for operators: GET /v1/models/{id} and the log
            case FAILED -> "model '" + model.id() + "' failed to load; GET /v1/models/" + model.id()
                    + " shows why";
            case DISABLED -> "model '" + model.id() + "' is disabled (visionserve.models.settings."
                    + model.id() + ".enabled=false)";
            case READY -> "model '" + model.id() + "' is ready";
        });
        this.modelId = model.id();
        this.status = model.status();
    }

    public String modelId() {
        return modelId;
    }

    public ModelStatus status() {
        return status;
    }
}
