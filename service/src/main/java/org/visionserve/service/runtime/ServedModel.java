package org.visionserve.service.runtime;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import org.visionserve.export.ModelMetadata;
import org.visionserve.service.config.VersionPolicy;
import org.visionserve.service.config.VisionServeProperties.Device;
import org.visionserve.service.config.VisionServeProperties.EffectiveSettings;

/**
 * One model of the repository: its settings, version policy and versions. Its state, metadata and device
 * are those of the version unversioned requests use, the highest one serving. Changed by the repository's
 * lifecycle operations (one at a time); read by request threads.
 */
public final class ServedModel {

    private final String id;
    private final Path dir;
    private final EffectiveSettings settings;
    private final VersionPolicy policy;
    private final Map<Integer, ModelVersion> versions = new ConcurrentSkipListMap<>();
    /** Why the model as a whole cannot load (no version, a bad policy, unreadable folder); null otherwise. */
    private volatile String error;
    private volatile boolean unloaded;

    ServedModel(String id, Path dir, EffectiveSettings settings, VersionPolicy policy) {
        this.id = id;
        this.dir = dir;
        this.settings = settings;
        this.policy = policy;
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

    /** Null when the configured policy could not be read (the model is then failed with the reason). */
    public VersionPolicy policy() {
        return policy;
    }

    /** Every version found, in ascending order. */
    public Collection<ModelVersion> versions() {
        return versions.values();
    }

    public ModelVersion version(int number) {
        return versions.get(number);
    }

    /**
     * Ready if a version serves; else loading if one loads, unloading while unloaded ones finish their
     * requests, unloaded, failed if a version (or the model) failed, disabled by configuration.
     */
    public ModelStatus status() {
        if (!settings.enabled()) {
            return ModelStatus.DISABLED;
        }
        boolean loading = false;
        boolean unloading = false;
        boolean failed = error != null;
        for (ModelVersion v : versions.values()) {
            switch (v.status()) {
                case READY -> {
                    return ModelStatus.READY;
                }
                case LOADING -> loading = true;
                case UNLOADING -> unloading = true;
                case FAILED -> failed = true;
                default -> { }
            }
        }
        if (loading) {
            return ModelStatus.LOADING;
        }
        if (unloaded) {
            return unloading ? ModelStatus.UNLOADING : ModelStatus.UNLOADED;
        }
        if (failed) {
            return ModelStatus.FAILED;
        }
        return versions.isEmpty() ? ModelStatus.LOADING : ModelStatus.UNLOADED;
    }

    /** The highest serving version, or null. */
    public ModelVersion serving() {
        for (ModelVersion v : ((ConcurrentSkipListMap<Integer, ModelVersion>) versions).descendingMap().values()) {
            if (v.instance() != null) {
                return v;
            }
        }
        return null;
    }

    /** The serving version's metadata, else that read last; null until one was read. */
    public ModelMetadata metadata() {
        ModelVersion v = serving();
        return v != null ? v.metadata() : lastMetadata;
    }

    private volatile ModelMetadata lastMetadata;

    void lastMetadata(ModelMetadata meta) {
        this.lastMetadata = meta;
    }

    /** The device the serving version is bound to; null unless one serves. */
    public Device device() {
        ModelVersion v = serving();
        return v == null ? null : v.device();
    }

    public String deviceNote() {
        ModelVersion v = serving();
        ModelVersion.Instance i = v == null ? null : v.instance();
        return i == null ? null : i.deviceNote;
    }

    /** Why the model does not serve (the model's or its highest failed version's reason); null when it serves. */
    public String error() {
        if (status() == ModelStatus.READY) {
            return null;
        }
        if (error != null) {
            return error;
        }
        String why = null;
        for (ModelVersion v : versions.values()) {
            if (v.status() == ModelStatus.FAILED) {
                why = v.reason();
            }
        }
        return why;
    }

    /** The serving version's session creation plus warm-up, or -1. */
    public double loadSeconds() {
        ModelVersion v = serving();
        return v == null ? -1 : v.loadSeconds();
    }

    /**
     * The serving version's runner, for inspection (tests, metrics); null unless one serves. Requests
     * use a {@link ModelLease}, which keeps the runner open while they run.
     */
    public ModelRunner runner() {
        ModelVersion v = serving();
        ModelVersion.Instance i = v == null ? null : v.instance();
        return i == null ? null : i.runner;
    }

    /** Requests waiting for the runners of every serving version. */
    public int queueDepth() {
        return versions.values().stream().mapToInt(ModelVersion::queueDepth).sum();
    }

    /** True once unloaded (by the API, or the poller when its folder went), until loaded again. */
    public boolean unloaded() {
        return unloaded;
    }

    /** A hold on the highest serving version, or null when none serves. */
    ModelLease leaseLatest() {
        for (ModelVersion v : ((ConcurrentSkipListMap<Integer, ModelVersion>) versions).descendingMap().values()) {
            ModelLease lease = v.lease();
            if (lease != null) {
                return lease;
            }
        }
        return null;
    }

    Map<Integer, ModelVersion> versionMap() {
        return versions;
    }

    void error(String error) {
        this.error = error;
    }

    void unloaded(boolean unloaded) {
        this.unloaded = unloaded;
    }
}
