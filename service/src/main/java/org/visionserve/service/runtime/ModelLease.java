package org.visionserve.service.runtime;

import org.visionserve.export.ModelMetadata;
import org.visionserve.service.config.VisionServeProperties.Device;

/**
 * A request's hold on one loaded version of a model ({@link ModelRepository#acquire}): the session it
 * started on stays open until the lease is closed, even if the model is reloaded or unloaded meanwhile.
 */
public final class ModelLease implements AutoCloseable {

    private final String id;
    private final int version;
    private final ModelVersion.Instance instance;
    private boolean closed;

    ModelLease(String id, int version, ModelVersion.Instance instance) {
        this.id = id;
        this.version = version;
        this.instance = instance;
    }

    public String id() {
        return id;
    }

    public int version() {
        return version;
    }

    public ModelMetadata metadata() {
        return instance.metadata;
    }

    public Device device() {
        return instance.device;
    }

    public ModelRunner runner() {
        return instance.runner;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            instance.release();
        }
    }
}
