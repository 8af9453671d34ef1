package org.visionserve.service.runtime;

import java.nio.file.Path;
import java.util.concurrent.Executor;
import org.visionserve.export.ModelMetadata;
import org.visionserve.service.config.VisionServeProperties.Device;

/**
 * One version of a model: a directory {@code MODEL/VERSION/} (or the model's own directory, read as
 * version 1) and the instance serving it, if any. A reload builds a new {@link Instance} beside the
 * serving one and swaps it in once warmed up; requests hold the instance they started on (a
 * {@link ModelLease}), and a replaced or unloaded instance is closed when the last of them ends.
 */
public final class ModelVersion {

    private final String modelId;
    private final int number;
    private volatile Path dir;
    private volatile ModelStatus status = ModelStatus.UNLOADED;
    private volatile String reason;
    private volatile Instance instance;

    ModelVersion(String modelId, int number, Path dir) {
        this.modelId = modelId;
        this.number = number;
        this.dir = dir;
    }

    /**
     * A loaded session with what was read with it. Counted references: each request holds one while
     * it runs; once retired (replaced or unloaded) it closes with its last request.
     */
    static final class Instance {
        final ModelRunner runner;
        final ModelMetadata metadata;
        final Device device;
        final String deviceNote;
        final double loadSeconds;
        /** The files it was loaded from (size and time of both), to see whether they changed since. */
        final String fingerprint;
        private int refs;
        private boolean retired;
        private Runnable onClosed;
        private Executor closer;

        Instance(ModelRunner runner, ModelMetadata metadata, Device device, String deviceNote, double loadSeconds,
                 String fingerprint) {
            this.runner = runner;
            this.metadata = metadata;
            this.device = device;
            this.deviceNote = deviceNote;
            this.loadSeconds = loadSeconds;
            this.fingerprint = fingerprint;
        }

        synchronized boolean retain() {
            if (retired) {
                return false;
            }
            refs++;
            return true;
        }

        void release() {
            boolean close;
            synchronized (this) {
                close = --refs == 0 && retired;
            }
            if (close) {
                closer.execute(this::close);
            }
        }

        /** No new requests; closed (on {@code closer}) once the ones in flight have ended. */
        void retire(Executor closer, Runnable onClosed) {
            boolean close;
            synchronized (this) {
                this.closer = closer;
                this.onClosed = onClosed;
                retired = true;
                close = refs == 0;
            }
            if (close) {
                closer.execute(this::close);
            }
        }

        synchronized int inFlight() {
            return refs;
        }

        private void close() {
            try {
                runner.close(); // nothing is queued on it: every request that reached it has ended
            } finally {
                onClosed.run();
            }
        }
    }

    public String modelId() {
        return modelId;
    }

    public int number() {
        return number;
    }

    public Path dir() {
        return dir;
    }

    /** The version moved (the flat layout's version 1 put under {@code 1/}). */
    void dir(Path dir) {
        this.dir = dir;
    }

    public ModelStatus status() {
        return status;
    }

    /** Why the version is not ready (failed, unloaded, not in the policy); null when ready. */
    public String reason() {
        return reason;
    }

    /** The serving instance's metadata; null unless loaded. */
    public ModelMetadata metadata() {
        Instance i = instance;
        return i == null ? null : i.metadata;
    }

    public Device device() {
        Instance i = instance;
        return i == null ? null : i.device;
    }

    public double loadSeconds() {
        Instance i = instance;
        return i == null ? -1 : i.loadSeconds;
    }

    /** Requests waiting for the serving instance's runner (0 when none). */
    int queueDepth() {
        Instance i = instance;
        return i == null ? 0 : i.runner.queueDepth();
    }

    Instance instance() {
        return instance;
    }

    /** A hold on the serving instance, or null when none serves. */
    ModelLease lease() {
        for (Instance i = instance; i != null; i = instance) {
            if (i.retain()) {
                return new ModelLease(modelId, number, i);
            }
            // retired between the read and the retain: the swap has put its successor in place already
        }
        return null;
    }

    synchronized void loading() {
        if (instance == null) {
            status = ModelStatus.LOADING;
            reason = null;
        }
    }

    /** Serves {@code fresh} from now on; the instance it replaces closes with its last request. */
    void swap(Instance fresh, Executor closer) {
        Instance old;
        synchronized (this) {
            old = instance;
            instance = fresh;
            status = ModelStatus.READY;
            reason = null;
        }
        if (old != null) {
            old.retire(closer, () -> { });
        }
    }

    /** Failed to load; a previous instance, if any, goes on serving (the failure is the caller's to report). */
    synchronized void failed(String why) {
        if (instance == null) {
            status = ModelStatus.FAILED;
            reason = why;
        }
    }

    /** No new requests: UNLOADING until the ones in flight end, then UNLOADED (with {@code why}). */
    void unload(String why, Executor closer, Runnable closed) {
        Instance old;
        synchronized (this) {
            old = instance;
            instance = null;
            reason = why;
            status = old == null ? ModelStatus.UNLOADED : ModelStatus.UNLOADING;
        }
        if (old != null) {
            old.retire(closer, () -> {
                synchronized (this) {
                    if (status == ModelStatus.UNLOADING) {
                        status = ModelStatus.UNLOADED;
                    }
                }
                closed.run();
            });
        }
    }
}
