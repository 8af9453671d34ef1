package org.visionserve.service.action;

/** Every clip slot is taken and the clip queue is full: the request is refused at once (503). */
public class PipelineBusyException extends RuntimeException {

    private final int concurrency;
    private final int queueCapacity;

    public PipelineBusyException(int concurrency, int queueCapacity) {
        super("the clip pipeline is at capacity (" + concurrency + " clip(s) at a time, " + queueCapacity
                + " waiting: visionserve.action.concurrency, visionserve.action.queue-capacity); retry later");
        this.concurrency = concurrency;
        this.queueCapacity = queueCapacity;
    }

    public int concurrency() {
        return concurrency;
    }

    public int queueCapacity() {
        return queueCapacity;
    }
}
