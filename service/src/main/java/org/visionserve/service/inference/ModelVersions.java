package org.visionserve.service.inference;

import java.util.List;
import org.visionserve.service.runtime.ModelVersion;
import org.visionserve.service.runtime.ServedModel;

/**
 * A model's versions as the protocol names them: the repository's version numbers as strings. A
 * request's version is parsed here; the repository resolves it ({@code ModelRepository.acquire}).
 */
public final class ModelVersions {

    private ModelVersions() {
    }

    /** Every version of {@code model} the repository found, ascending, whatever its state. */
    public static List<String> of(ServedModel model) {
        return model.versions().stream().map(v -> Integer.toString(v.number())).toList();
    }

    /**
     * The version number a request names; null for null or empty (the highest ready version).
     *
     * @throws UnknownVersionException if it is no version number (no model has such a version)
     */
    public static Integer parse(ServedModel model, String version) {
        if (version == null || version.isEmpty()) {
            return null;
        }
        if (!version.matches("[1-9][0-9]{0,8}")) {
            throw new UnknownVersionException(model.id(), version, of(model));
        }
        return Integer.valueOf(version);
    }

    /**
     * The version a request names, which must exist; null for the model's highest serving one.
     *
     * @throws UnknownVersionException if the model has no such version
     */
    public static ModelVersion find(ServedModel model, String version) {
        Integer n = parse(model, version);
        if (n == null) {
            return null;
        }
        ModelVersion v = model.version(n);
        if (v == null) {
            throw new UnknownVersionException(model.id(), version, of(model));
        }
        return v;
    }
}
