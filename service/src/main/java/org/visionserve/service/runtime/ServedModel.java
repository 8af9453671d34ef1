package org.visionserve.service.runtime;

import java.nio.file.Path;
import org.visionserve.export.ModelMetadata;
import org.visionserve.service.config.VisionServeProperties.Device;
import org.visionserve.service.config.VisionServeProperties.EffectiveSettings;

/**
 * One model of the repository: its metadata, settings and load state, and (once ready) its runner.
 * Written by the loader thread only; read by request threads, hence volatile.
 */
public final class ServedModel {

    private final String id;
    private final Path dir;
    private final EffectiveSettings settings;
    private volatile ModelStatus status;
    private volatile ModelMetadata metadata;
    private volatile Device device;
    private volatile String deviceNote;
    private volatile String error;
    private volatile double loadSeconds = -1;
    private volatile ModelRunner runner;

    ServedModel(String id, Path dir, EffectiveSettings settings) {
        this.id = id;
        this.dir = dir;
        this.settings = settings;
        this.status = settings.enabled() ? ModelStatus.LOADING : ModelStatus.DISABLED;
    }

    public String id() {
        return id;
    }

    public Path dir() {
        return dir;
    }

    public EffectiveSettings settings() {
        return settings;
    }

    public ModelStatus status() {
        return status;
    }

    /** Null until model.json was read. */
    public ModelMetadata metadata() {
        return metadata;
    }

    /** The device the session is bound to; null unless ready. */
    public Device device() {
        return device;
    }

    public String deviceNote() {
        return deviceNote;
    }

    /** Why the model failed to load; null otherwise. */
    public String error() {
        return error;
    }

    /** Session creation plus warm-up, or -1 if not loaded. */
    public double loadSeconds() {
        return loadSeconds;
    }

    /** Null unless ready. */
    public ModelRunner runner() {
        return runner;
    }

    void metadata(ModelMetadata metadata) {
        this.metadata = metadata;
    }

    void ready(ModelRunner runner, Device device, String deviceNote, double loadSeconds) {
        this.runner = runner;
        this.device = device;
        this.deviceNote = deviceNote;
        this.loadSeconds = loadSeconds;
        this.status = ModelStatus.READY;
    }

    void failed(String error) {
        this.error = error;
        this.status = ModelStatus.FAILED;
    }
}
