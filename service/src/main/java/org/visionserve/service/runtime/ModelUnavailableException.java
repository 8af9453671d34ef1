package org.visionserve.service.runtime;

/** The model exists but cannot serve: still loading, failed to load, or disabled. */
public class ModelUnavailableException extends RuntimeException {

    private final String modelId;
    private final ModelStatus status;

    public ModelUnavailableException(ServedModel model) {
        super(switch (model.status()) {
            case LOADING -> "model '" + model.id() + "' is still loading; retry shortly";
            case FAILED -> "model '" + model.id() + "' failed to load: " + model.error();
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
