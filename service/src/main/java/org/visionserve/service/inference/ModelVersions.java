package org.visionserve.service.inference;

import java.util.List;
import org.visionserve.service.runtime.ServedModel;

/**
 * A model's versions as the protocol names them. Every model has exactly one today, {@value #ONLY};
 * when the repository serves several, this is where a version name resolves to one of them.
 */
public final class ModelVersions {

    public static final String ONLY = "1";

    private ModelVersions() {
    }

    /** The versions of {@code model}, as the protocol lists them. */
    public static List<String> of(ServedModel model) {
        return List.of(ONLY);
    }

    /**
     * The version a request names, null or empty meaning the model's current one.
     *
     * @throws UnknownVersionException if the model has no such version
     */
    public static String resolve(ServedModel model, String version) {
        if (version == null || version.isEmpty()) {
            return ONLY;
        }
        if (!of(model).contains(version)) {
            throw new UnknownVersionException(model.id(), version);
        }
        return version;
    }
}
