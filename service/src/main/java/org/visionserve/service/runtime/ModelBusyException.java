package org.visionserve.service.runtime;

/** The model's runner has all workers busy and its queue full: the request is refused, not queued. */
public class ModelBusyException extends RuntimeException {

    private final String modelId;
    private final int queueCapacity;

    public ModelBusyException(String modelId, int concurrency, int queueCapacity) {
        super("model '" + modelId + "' is at capacity (" + concurrency + " running, " + queueCapacity
                + " queued); retry later");
        this.modelId = modelId;
        this.queueCapacity = queueCapacity;
    }

    public String modelId() {
        return modelId;
    }

    public int queueCapacity() {
        return queueCapacity;
    }
}
