package org.visionserve.service.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The single way into a model's session: at most {@code concurrency} runs at a time, at most
 * {@code queueCapacity} more waiting (first come, first served); a request beyond that is refused at
 * once ({@link ModelBusyException}) instead of piling up. The session is created once and shared
 * (ONNX Runtime sessions are safe for concurrent runs). A run executes on the caller's thread once it
 * holds a slot: no hand-off to a worker thread and back, which on a busy host costs scheduler
 * wake-ups per request. With batching on, {@link #infer} goes through the model's {@link Batcher}
 * instead: concurrent requests share runs, and a request larger than a batch runs alone.
 */
public final class ModelRunner implements AutoCloseable {

    /** Work done with the model's session while holding one of its slots. */
    @FunctionalInterface
    public interface Job<T> {
        T run(OrtSession session) throws OrtException;
    }

    /** A job's value with the time it waited for a slot and the time it ran. */
    public record Timed<T>(T value, long queueNanos, long runNanos) {
    }

    /** The first output of an inference, flattened, with its shape. */
    public record Output(float[] values, long[] shape) {
    }

    /**
     * How {@link #infer} gathers concurrent requests into runs; {@code maxBatchSize} 1 runs each alone.
     *
     * @param maxBatchSize         items (axis 0) per run at most
     * @param maxQueueDelayMicros  how long a batch may wait for more requests after its first arrived
     * @param preferredBatchSizes  sizes at which a batch runs at once, without waiting out the delay
     */
    public record Batching(int maxBatchSize, long maxQueueDelayMicros, List<Integer> preferredBatchSizes) {
        public static final Batching OFF = new Batching(1, 0, List.of());

        public Batching {
            maxBatchSize = Math.max(1, maxBatchSize);
            maxQueueDelayMicros = Math.max(0, maxQueueDelayMicros);
            preferredBatchSizes = preferredBatchSizes == null ? List.of() : List.copyOf(preferredBatchSizes);
        }

        public boolean enabled() {
            return maxBatchSize > 1;
        }
    }

    private final String modelId;
    private final OrtSession session;
    private final String inputName;
    private final int concurrency;
    private final int queueCapacity;
    /** Running plus waiting: a request that finds none left is refused. */
    private final Semaphore admission;
    /** Running; fair, so waiting requests are served in arrival order. */
    private final Semaphore slots;
    private final AtomicInteger waiting = new AtomicInteger();
    private final Batching batching;
    /** Null when batching is off. */
    private final Batcher batcher;
    private volatile boolean closed;

    public ModelRunner(String modelId, OrtSession session, int concurrency, int queueCapacity) {
        this(modelId, session, concurrency, queueCapacity, Batching.OFF, size -> { });
    }

    /**
     * @param batchSizes told the size (items) of every batched run, for the batch-size histogram
     */
    public ModelRunner(String modelId, OrtSession session, int concurrency, int queueCapacity, Batching batching,
                       IntConsumer batchSizes) {
        this.modelId = modelId;
        this.session = session;
        this.inputName = session.getInputNames().iterator().next();
        this.concurrency = concurrency;
        this.queueCapacity = queueCapacity;
        this.batching = batching;
        // Requests in runs count as many as a full batch per run slot.
        this.admission = new Semaphore(concurrency * batching.maxBatchSize() + queueCapacity);
        this.slots = new Semaphore(concurrency, true);
        this.batcher = batching.enabled()
                ? new Batcher(modelId, session, inputName, slots, concurrency, batching, batchSizes)
                : null;
    }

    /**
     * Runs {@code job} once a slot is free, on the calling thread.
     *
     * @throws ModelBusyException if every slot is taken and the queue is full, or the runner is closed
     * @throws InferenceException if the job failed
     */
    public <T> Timed<T> submit(Job<T> job) throws InterruptedException {
        if (closed || !admission.tryAcquire()) {
            throw new ModelBusyException(modelId, concurrency, queueCapacity);
        }
        try {
            long submitted = System.nanoTime();
            waiting.incrementAndGet();
            try {
                slots.acquire();
            } finally {
                waiting.decrementAndGet();
            }
            try {
                long started = System.nanoTime();
                T value;
                try {
                    value = job.run(session);
                } catch (OrtException | RuntimeException e) {
                    throw new InferenceException(modelId, e);
                }
                return new Timed<>(value, started - submitted, System.nanoTime() - started);
            } finally {
                slots.release();
            }
        } finally {
            admission.release();
        }
    }

    /**
     * Runs the model on one input tensor. {@code input} should be a direct buffer in native order:
     * ONNX Runtime then reads it in place instead of copying it. With batching on, the request may
     * share a run with concurrent ones; {@code input} must stay untouched until this returns.
     */
    public Timed<Output> infer(FloatBuffer input, long[] shape) throws InterruptedException {
        if (batcher != null && shape[0] <= batching.maxBatchSize()) {
            if (closed || !admission.tryAcquire()) {
                throw new ModelBusyException(modelId, concurrency, queueCapacity);
            }
            try {
                return batcher.submit(input, shape).await();
            } finally {
                admission.release();
            }
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        return submit(s -> {
            // Both native handles are freed here whatever happens, so failed requests leak nothing.
            try (OnnxTensor tensor = OnnxTensor.createTensor(env, input, shape);
                 OrtSession.Result result = s.run(Map.of(inputName, tensor))) {
                OnnxTensor out = (OnnxTensor) result.get(0);
                FloatBuffer values = out.getFloatBuffer();
                float[] copy = new float[values.remaining()];
                values.get(copy);
                return new Output(copy, out.getInfo().getShape());
            }
        });
    }

    /** Requests waiting for a slot or a batch. */
    public int queueDepth() {
        return waiting.get() + (batcher == null ? 0 : batcher.waiting());
    }

    public Batching batching() {
        return batching;
    }

    public int concurrency() {
        return concurrency;
    }

    public int queueCapacity() {
        return queueCapacity;
    }

    /** Refuses new work, waits (up to 30 s) for the runs in progress, then frees the session. */
    @Override
    public void close() {
        closed = true;
        if (batcher != null) {
            batcher.close();
        }
        try {
            if (slots.tryAcquire(concurrency, 30, TimeUnit.SECONDS)) {
                slots.release(concurrency);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the session of " + modelId + " failed", e);
        }
    }
}
