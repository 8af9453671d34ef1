package org.visionserve.service.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * The single way into a model's session, and the only place (with {@link Batcher}) where ONNX Runtime
 * types are used: pipelines hand in named float inputs and get named outputs back. At most
 * {@code concurrency} runs at a time; how many requests get this far is {@link Admission}'s business,
 * so waiting here is short. A run executes on the caller's thread once it holds a slot: no hand-off
 * to a worker thread and back, which on a busy host costs scheduler wake-ups per request. With
 * batching on, {@link #infer} goes through the model's {@link Batcher} instead (unless nothing is
 * queued and a slot is free: then it runs at once, as without batching): concurrent requests share
 * runs, and a request larger than a batch is spread over several. A request's {@link RequestScope} ends its
 * wait for a slot, and terminates its run in progress, when its deadline passes or its client goes.
 *
 * <p>On a CPU the slots are best one per core, each run single-threaded: per image that is faster than
 * one run over every core, but a lone request would then use one core of many. So a model with several
 * slots may have a second, <em>lone-request</em> session whose runs use every slot's threads: a request
 * that finds the model idle (no slot taken, nothing queued) takes all the slots and runs there, so one
 * client gets the latency of all cores and concurrent clients the throughput of one run per core.
 */
public final class ModelRunner implements AutoCloseable {

    /** Work done with the model's session while holding one of its slots (runtime-internal). */
    @FunctionalInterface
    interface Job<T> {
        T run(OrtSession session, OrtSession.RunOptions options) throws OrtException;
    }

    /** A job's value with the time it waited for a slot and the time it ran. */
    public record Timed<T>(T value, long queueNanos, long runNanos) {
    }

    /** An input tensor: floats (best a direct buffer in native order, which ONNX Runtime reads in place) and a shape. */
    public record Input(FloatBuffer data, long[] shape) {
    }

    /** An output, flattened, with its shape. */
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
    /** Null, or the session over every slot's threads that an idle model's request runs on. */
    private final OrtSession lone;
    private final String inputName;
    private final String firstOutput;
    private final int concurrency;
    /** Running; fair, so waiting requests are served in arrival order. */
    private final Semaphore slots;
    private final AtomicInteger waiting = new AtomicInteger();
    private final Batching batching;
    /** Null when batching is off. */
    private final Batcher batcher;
    private final IntConsumer batchSizes;
    /** Items per run at most: the configured maximum until {@link #limitBatchSize} lowers it. */
    private volatile int batchLimit;
    private volatile BatchTuning tuning;
    private volatile boolean closed;

    public ModelRunner(String modelId, OrtSession session, int concurrency) {
        this(modelId, session, concurrency, Batching.OFF, size -> { });
    }

    /**
     * @param batchSizes told the size (items) of every batched run, for the batch-size histogram
     */
    public ModelRunner(String modelId, OrtSession session, int concurrency, Batching batching, IntConsumer batchSizes) {
        this(modelId, session, null, concurrency, batching, batchSizes);
    }

    /**
     * @param lone       null, or a session of the same model whose runs use every slot's threads, for a
     *                   request that finds the model idle; closed with the runner
     * @param batchSizes told the size (items) of every batched run, for the batch-size histogram
     */
    public ModelRunner(String modelId, OrtSession session, OrtSession lone, int concurrency, Batching batching,
                       IntConsumer batchSizes) {
        this.modelId = modelId;
        this.session = session;
        this.lone = concurrency > 1 ? lone : null;
        this.batchLimit = batching.maxBatchSize();
        this.inputName = session.getInputNames().iterator().next();
        this.firstOutput = session.getOutputNames().iterator().next();
        this.concurrency = concurrency;
        this.batching = batching;
        this.slots = new Semaphore(concurrency, true);
        this.batchSizes = batchSizes;
        this.batcher = batching.enabled()
                ? new Batcher(modelId, session, inputName, slots, concurrency, batching, batchSizes)
                : null;
    }

    /**
     * Runs {@code job} once a slot is free, on the calling thread; the run is terminated if the
     * request's scope ends while it is in progress.
     *
     * @throws OverloadedException       if the runner is closing
     * @throws RequestCancelledException if the scope ended first
     * @throws InferenceException        if the job failed
     */
    <T> Timed<T> submit(Job<T> job, RequestScope scope) throws InterruptedException {
        if (closed) {
            throw OverloadedException.closing(modelId);
        }
        scope.check();
        Timed<T> now = waiting.get() == 0 ? runNowIfFree(job, scope) : null;
        return now != null ? now : inSlot(job, scope);
    }

    /** Runs {@code job} in one slot, waiting for it in arrival order (never on the lone-request session). */
    <T> Timed<T> inSlot(Job<T> job, RequestScope scope) throws InterruptedException {
        if (closed) {
            throw OverloadedException.closing(modelId);
        }
        long submitted = System.nanoTime();
        waiting.incrementAndGet();
        try {
            scope.await(nanos -> slots.tryAcquire(nanos, TimeUnit.NANOSECONDS));
        } finally {
            waiting.decrementAndGet();
        }
        return holding(job, scope, submitted, session, 1);
    }

    /**
     * Runs {@code job} at once if the model is idle (on the lone-request session, holding every slot)
     * or, without one, if a slot is free; null if neither. The caller has seen nothing queued.
     */
    private <T> Timed<T> runNowIfFree(Job<T> job, RequestScope scope) {
        long now = System.nanoTime();
        if (lone != null) {
            return slots.tryAcquire(concurrency) ? holding(job, scope, now, lone, concurrency) : null;
        }
        return slots.tryAcquire() ? holding(job, scope, now, session, 1) : null;
    }

    /** Runs {@code job} on the calling thread, which holds {@code permits} slots; releases them. */
    private <T> Timed<T> holding(Job<T> job, RequestScope scope, long submitted, OrtSession on, int permits) {
        try {
            return timed(job, scope, submitted, on);
        } finally {
            slots.release(permits);
        }
    }

    /** Runs {@code job} on {@code on}, terminated if the scope ends meanwhile. */
    private <T> Timed<T> timed(Job<T> job, RequestScope scope, long submitted, OrtSession on) {
        try (OrtSession.RunOptions options = new OrtSession.RunOptions();
             RequestScope.Registration stop = scope.onCancel(() -> terminate(options))) {
            long started = System.nanoTime();
            T value;
            try {
                value = job.run(on, options);
            } catch (OrtException | RuntimeException e) {
                scope.check(); // a terminated run is the scope's end, not the model's failure
                throw new InferenceException(modelId, e);
            }
            return new Timed<>(value, started - submitted, System.nanoTime() - started);
        } catch (OrtException e) {
            throw new InferenceException(modelId, e);
        }
    }

    /**
     * Runs the model on named inputs and returns the named outputs (all of them when {@code outputs}
     * is empty), alone in its run. The inputs must stay untouched until this returns.
     */
    public Timed<Map<String, Output>> run(Map<String, Input> inputs, Set<String> outputs, RequestScope scope)
            throws InterruptedException {
        return submit(named(inputs, outputs), scope);
    }

    /** A job running the session on named inputs, returning the named outputs (all when none are named). */
    private static Job<Map<String, Output>> named(Map<String, Input> inputs, Set<String> outputs) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        return (s, options) -> {
            Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, Input> in : inputs.entrySet()) {
                    tensors.put(in.getKey(), OnnxTensor.createTensor(env, in.getValue().data(), in.getValue().shape()));
                }
                // Every native handle is freed here whatever happens, so failed requests leak nothing.
                try (OrtSession.Result result = outputs.isEmpty() ? s.run(tensors, options)
                        : s.run(tensors, outputs, options)) {
                    Map<String, Output> named = new LinkedHashMap<>();
                    for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : result) {
                        named.put(e.getKey(), output((OnnxTensor) e.getValue()));
                    }
                    return named;
                }
            } finally {
                tensors.values().forEach(OnnxTensor::close);
            }
        };
    }

    /**
     * Runs the model on its one input tensor and returns its first output. With batching on, the
     * request may share runs with concurrent ones; {@code input} must stay untouched until this returns.
     */
    public Timed<Output> infer(FloatBuffer input, long[] shape, RequestScope scope) throws InterruptedException {
        if (batcher != null) {
            Timed<Map<String, Output>> t = batched(input, shape, Set.of(firstOutput), scope);
            return new Timed<>(t.value().get(firstOutput), t.queueNanos(), t.runNanos());
        }
        return submit(single(input, shape), scope);
    }

    /**
     * Runs the model on its one input tensor (items along axis 0: a clip's frames, a volume's slices)
     * and returns the named outputs. With batching on, the items may share runs with those of
     * concurrent requests, and a request of more items than a batch holds is spread over several runs;
     * {@code input} must stay untouched until this returns.
     */
    public Timed<Map<String, Output>> infer(FloatBuffer input, long[] shape, Set<String> outputs, RequestScope scope)
            throws InterruptedException {
        if (batcher != null) {
            return batched(input, shape, outputs, scope);
        }
        return run(Map.of(inputName, new Input(input, shape)), outputs, scope);
    }

    private Timed<Map<String, Output>> batched(FloatBuffer input, long[] shape, Set<String> outputs,
                                               RequestScope scope) throws InterruptedException {
        if (closed) {
            throw OverloadedException.closing(modelId);
        }
        // Nothing queued and a slot free: the request runs alone now, on its own thread, as without
        // batching. The hand-offs to the batcher's threads and back cost scheduler wake-ups, which on
        // a busy host are milliseconds each; requests arriving meanwhile queue and form the next batch.
        scope.check();
        if (shape[0] <= batchLimit && batcher.waiting() == 0) {
            Timed<Map<String, Output>> t = runNowIfFree(named(Map.of(inputName, new Input(input, shape)), outputs),
                    scope);
            if (t != null) {
                batchSizes.accept((int) shape[0]);
                return t;
            }
        }
        return batcher.submit(input, shape, outputs, scope).await();
    }

    /**
     * Runs {@code input} once on each of the model's sessions, bypassing the batcher (warm-up: ONNX
     * Runtime sizes its buffers per shape on a session's first run of it).
     */
    public void warmUp(FloatBuffer input, long[] shape, RequestScope scope) throws InterruptedException {
        Job<Output> job = single(input, shape);
        for (OrtSession s : lone == null ? List.of(session) : List.of(lone, session)) {
            int permits = s == lone ? concurrency : 1;
            scope.await(nanos -> slots.tryAcquire(permits, nanos, TimeUnit.NANOSECONDS));
            holding(job, scope, System.nanoTime(), s, permits);
        }
    }

    /**
     * Items per second of runs of {@code input} (shape {@code shape}) with every slot busy, each running
     * it {@code rounds} times back to back: how fast the model goes at that batch size under load.
     */
    public double itemsPerSecond(FloatBuffer input, long[] shape, int rounds, RequestScope scope)
            throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        AtomicReference<RuntimeException> failed = new AtomicReference<>();
        scope.await(nanos -> slots.tryAcquire(concurrency, nanos, TimeUnit.NANOSECONDS));
        long start = System.nanoTime();
        try {
            for (int t = 0; t < concurrency; t++) { // one thread per slot, all of which this holds
                Job<Output> job = single(input.duplicate(), shape);
                Thread th = new Thread(() -> {
                    try {
                        for (int i = 0; i < rounds && failed.get() == null; i++) {
                            timed(job, scope, System.nanoTime(), session);
                        }
                    } catch (RuntimeException e) {
                        failed.compareAndSet(null, e);
                    }
                }, "measure-" + modelId);
                th.start();
                threads.add(th);
            }
            for (Thread t : threads) {
                t.join();
            }
        } finally {
            slots.release(concurrency);
        }
        if (failed.get() != null) {
            throw failed.get();
        }
        return (double) concurrency * rounds * shape[0] / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * The batches the batcher forms and the fast path accepts are at most {@code items} (at least 1,
     * at most the configured maximum) from now on; a larger request is spread over several runs.
     */
    public void limitBatchSize(int items) {
        batchLimit = Math.max(1, Math.min(items, batching.maxBatchSize()));
        if (batcher != null) {
            batcher.limit(batchLimit);
        }
    }

    /** Limits batches to what {@code t} chose, and keeps its measurement for the model's description. */
    void limitBatchSize(BatchTuning t) {
        tuning = t;
        limitBatchSize(t.limit());
    }

    /** The warm-up's measurement of batch sizes, or null if none was made. */
    public BatchTuning tuning() {
        return tuning;
    }

    /** The most items a run takes now (see {@link #limitBatchSize}). */
    public int batchLimit() {
        return batchLimit;
    }

    /** Whether an idle model's request runs on a session over every slot's threads. */
    public boolean hasLoneRequestSession() {
        return lone != null;
    }

    private Job<Output> single(FloatBuffer input, long[] shape) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        return (s, options) -> {
            try (OnnxTensor tensor = OnnxTensor.createTensor(env, input, shape);
                 OrtSession.Result result = s.run(Map.of(inputName, tensor), options)) {
                return output((OnnxTensor) result.get(0));
            }
        };
    }

    static Output output(OnnxTensor t) throws OrtException {
        FloatBuffer values = t.getFloatBuffer();
        float[] copy = new float[values.remaining()];
        values.get(copy);
        return new Output(copy, t.getInfo().getShape());
    }

    static void terminate(OrtSession.RunOptions options) {
        try {
            options.setTerminate(true);
        } catch (OrtException | IllegalStateException e) {
            // the run ended and its options were closed meanwhile
        }
    }

    /** Runs holding a slot now. */
    public int runsInProgress() {
        return concurrency - slots.availablePermits();
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
            if (lone != null) {
                lone.close();
            }
        } catch (OrtException e) {
            throw new IllegalStateException("closing the session of " + modelId + " failed", e);
        }
    }
}
