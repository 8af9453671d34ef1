package org.visionserve.service.runtime;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Where a model of the repository stands. */
public enum ModelStatus {
    /** Found, session being created or warmed up. */
    LOADING,
    /** Session created and warmed up: serving. */
    READY,
    /** Could not be loaded; the reason is kept with the model. */
    FAILED,
    /** Switched off by configuration. */
    DISABLED;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
