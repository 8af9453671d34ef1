package org.visionserve.service.runtime;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Where a model of the repository, or one of its versions, stands. */
public enum ModelStatus {
    /** Found, session being created or warmed up. */
    LOADING,
    /** Session created and warmed up: serving. */
    READY,
    /** Could not be loaded; the reason is kept with the model. */
    FAILED,
    /** Switched off by configuration. */
    DISABLED,
    /** Unloaded (by the repository API or the poller), its last requests still finishing on it. */
    UNLOADING,
    /** Not loaded: unloaded, or a version the model's version policy does not serve. */
    UNLOADED;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
