package org.visionserve.service.runtime;

/** A pool's places are taken and its queue is full: refused at once (503) with when to retry. */
public class OverloadedException extends RuntimeException {

    private final String pool;
    private final long retryAfterSeconds;
    private final Admission.Limits limits;

    public OverloadedException(String pool, long retryAfterSeconds, Admission.Limits limits) {
        super("'" + pool + "' is at capacity (" + limits.concurrency() + " in progress, " + limits.queueCapacity()
                + " waiting; " + limits.configKey() + "); retry in " + retryAfterSeconds + " s");
        this.pool = pool;
        this.retryAfterSeconds = retryAfterSeconds;
        this.limits = limits;
    }

    /** A runner that is closing (its model reloading or unloading): retry once it is back. */
    public static OverloadedException closing(String modelId) {
        return new OverloadedException(modelId, 1, new Admission.Limits(1, 0, "model '" + modelId + "' is closing"));
    }

    public String pool() {
        return pool;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public Admission.Limits limits() {
        return limits;
    }
}
