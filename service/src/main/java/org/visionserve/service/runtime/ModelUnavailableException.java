package org.visionserve.service.runtime;

/** The model (or the version asked for) exists but cannot serve: loading, failed, disabled or unloaded. */
public class ModelUnavailableException extends RuntimeException {

    private final String modelId;
    private final ModelStatus status;

    public ModelUnavailableException(ServedModel model) {
        this(model.id(), null, model.status());
    }

    public ModelUnavailableException(ServedModel model, ModelVersion version) {
        this(model.id(), version.number(), model.status() == ModelStatus.DISABLED ? ModelStatus.DISABLED
                : version.status());
    }

    private ModelUnavailableException(String id, Integer version, ModelStatus status) {
        super(message(id, version, status));
        this.modelId = id;
        this.status = status;
    }

    private static String message(String id, Integer version, ModelStatus status) {
        String what = "model '" + id + "'" + (version == null ? "" : " version " + version);
        return switch (status) {
            case LOADING -> what + " is still loading; retry shortly";
            // the reason (an exception's class and message) is for operators: GET /v1/models/{id} and the log
            case FAILED -> what + " failed to load; GET /v1/models/" + id + " shows why";
            case DISABLED -> "model '" + id + "' is disabled (visionserve.models.settings." + id + ".enabled=false)";
            case UNLOADING, UNLOADED -> what + " is not loaded" + (version == null ? "" : " (unloaded, or not in the "
                    + "model's version-policy)") + "; POST /v2/repository/models/" + id + "/load loads it";
            case READY -> what + " is ready";
        };
    }

    public String modelId() {
        return modelId;
    }

    public ModelStatus status() {
        return status;
    }
}
