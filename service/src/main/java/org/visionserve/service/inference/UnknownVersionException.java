package org.visionserve.service.inference;

/** A model version that does not exist (today every model has only version 1): 404. */
public class UnknownVersionException extends RuntimeException {

    private final String model;
    private final String version;

    public UnknownVersionException(String model, String version) {
        super("model '" + model + "' has no version '" + version + "' (its versions: " + ModelVersions.ONLY + ")");
        this.model = model;
        this.version = version;
    }

    public String model() {
        return model;
    }

    public String version() {
        return version;
    }
}
