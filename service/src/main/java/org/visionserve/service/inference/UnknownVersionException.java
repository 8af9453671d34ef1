package org.visionserve.service.inference;

import java.util.List;

/** A model version that does not exist: 404. */
public class UnknownVersionException extends RuntimeException {

    private final String model;
    private final String version;

    public UnknownVersionException(String model, String version, List<String> versions) {
        super("model '" + model + "' has no version '" + version + "' (its versions: "
                + (versions.isEmpty() ? "none" : String.join(", ", versions)) + ")");
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
