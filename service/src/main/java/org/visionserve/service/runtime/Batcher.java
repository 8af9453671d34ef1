package org.visionserve.service.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.visionserve.service.runtime.ModelRunner.Output;
import org.visionserve.service.runtime.ModelRunner.Timed;

/**
 * Triton's dynamic batcher for one model: requests (each a tensor of one or more items along axis 0)
 * are gathered into one ONNX Runtime run of up to {@code maxBatchSize} items, or until
 * {@code maxQueueDelay} has passed since the first of them arrived, or as soon as a preferred batch
 * size is reached; the output is split back per request. Only requests whose item shape (every axis
 * but the first) is the same share a run: slices of two volumes of the same size do, of different
 * sizes do not.
 *
 * <p>One collector thread forms batches: it takes the first request, then a run slot, so while the
 * model is busy the queue fills up behind that request and the next batch forms as soon as a slot
 * frees (the delay counts from the first request's arrival, as Triton's does). A lone client is not
 * delayed: the delay applies only while the model sees concurrent requests.
 * Runs go to {@code concurrency} worker threads. A request's caller only waits: its thread does no
 * ONNX Runtime work, and its input buffer is copied into the batch before the run (or read in place
 * when it runs alone), so the caller must not reuse the buffer until its answer came back.
 */
final class Batcher implements AutoCloseable {

    /** One request in the queue; completed once by the worker that ran it. */
    static final class Pending {
        private static final int WAITING = 0, TAKEN = 1, CANCELLED = 2;

        final FloatBuffer input;
        final long[] shape;
        final RequestScope scope;
        final long arrived = System.nanoTime();
        private final AtomicInteger state = new AtomicInteger(WAITING);
        private Timed<Output> result;
        private RuntimeException failure;
        private boolean done;

        Pending(FloatBuffer input, long[] shape, RequestScope scope) {
            this.input = input;
            this.shape = shape;
            this.scope = scope;
        }

        int items() {
            return (int) shape[0];
        }

        boolean sameItemShape(Pending o) {
            return Arrays.equals(shape, 1, shape.length, o.shape, 1, o.shape.length);
        }

        /**
         * Waits for the answer. Once the request's scope ends before a batch took it, the request
         * leaves the queue; after that, its run reads the request's buffer, so the wait goes on until the
         * run ended (a batch whose requests have all ended is terminated).
         */
        Timed<Output> await() throws InterruptedException {
            try {
                scope.await(nanos -> {
                    synchronized (this) {
                        if (!done) {
                            TimeUnit.NANOSECONDS.timedWait(this, nanos);
                        }
                        return done;
                    }
                });
            } catch (RequestCancelledException e) {
                if (state.compareAndSet(WAITING, CANCELLED)) {
                    throw e;
                }
                synchronized (this) {
                    while (!done) {
                        wait();
                    }
                }
                throw e;
            }
            synchronized (this) {
                if (failure != null) {
                    throw failure;
                }
                return result;
            }
        }

        private boolean take() {
            return state.compareAndSet(WAITING, TAKEN);
        }

        private synchronized void complete(Timed<Output> value, RuntimeException error) {
            result = value;
            failure = error;
            done = true;
            notifyAll();
        }
    }

    private final String modelId;
    private final OrtSession session;
    private final String inputName;
    private final Semaphore slots;
    private final ModelRunner.Batching settings;
    private final long maxDelayNanos;
    private final IntConsumer batchSizes;
    private final LinkedBlockingDeque<Pending> queue = new LinkedBlockingDeque<>();
    private final ExecutorService workers;
    private final Thread collector;
    /** Requests queued or gathered but not yet running. */
    private final AtomicInteger waiting = new AtomicInteger();
    /** Requests in the last batch formed (collector thread only). */
    private int lastRunRequests;
    private volatile boolean closed;

    Batcher(String modelId, OrtSession session, String inputName, Semaphore slots, int concurrency,
            ModelRunner.Batching settings, IntConsumer batchSizes) {
        this.modelId = modelId;
        this.session = session;
        this.inputName = inputName;
        this.slots = slots;
        this.settings = settings;
        this.maxDelayNanos = TimeUnit.MICROSECONDS.toNanos(settings.maxQueueDelayMicros());
        this.batchSizes = batchSizes;
        this.workers = Executors.newFixedThreadPool(concurrency, r -> daemon(r, "batch-" + modelId));
        this.collector = daemon(this::collect, "batcher-" + modelId);
        collector.start();
    }

    /** Queues a request of at most max-batch-size items; the answer comes through {@link Pending#await()}. */
    Pending submit(FloatBuffer input, long[] shape, RequestScope scope) {
        Pending p = new Pending(input, shape, scope);
        waiting.incrementAndGet();
        queue.add(p);
        if (closed && queue.remove(p)) {
            waiting.decrementAndGet();
            p.complete(null, OverloadedException.closing(modelId));
        }
        return p;
    }

    int waiting() {
        return waiting.get();
    }

    private void collect() {
        Pending carried = null;
        try {
            while (!closed) {
                Pending first = carried != null ? carried : queue.take();
                carried = first; // until it has a slot: closing then answers it with the rest of the queue
                // While the model is busy, more requests queue up behind this one and join its batch.
                slots.acquire();
                carried = null;
                if (!first.take()) {
                    waiting.decrementAndGet();
                    slots.release();
                    continue;
                }
                List<Pending> batch = new ArrayList<>();
                batch.add(first);
                int items = first.items();
                // A lone client is never delayed: the delay applies while the model sees concurrent
                // traffic (its last run held several requests, or more are queued).
                boolean concurrent = lastRunRequests > 1 || !queue.isEmpty();
                long deadline = concurrent ? first.arrived + maxDelayNanos : 0;
                try {
                    while (items < settings.maxBatchSize() && !settings.preferredBatchSizes().contains(items)) {
                        long left = deadline - System.nanoTime();
                        Pending next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                        if (next == null) {
                            break;
                        }
                        if (!next.sameItemShape(first) || items + next.items() > settings.maxBatchSize()) {
                            carried = next; // it starts the next batch
                            break;
                        }
                        if (!next.take()) {
                            waiting.decrementAndGet();
                            continue;
                        }
                        batch.add(next);
                        items += next.items();
                    }
                } finally {
                    // also when closing: what was gathered still runs and is answered
                    lastRunRequests = batch.size();
                    waiting.addAndGet(-batch.size());
                    workers.execute(() -> {
                        try {
                            run(batch);
                        } finally {
                            slots.release();
                        }
                    });
                }
            }
        } catch (InterruptedException e) {
            // closing
        } finally {
            if (carried != null) {
                queue.addFirst(carried);
            }
            for (Pending p; (p = queue.poll()) != null; ) {
                if (p.take()) {
                    p.complete(null, OverloadedException.closing(modelId));
                }
            }
        }
    }

    /** One ONNX Runtime run over the gathered requests; every request is answered, also on failure. */
    private void run(List<Pending> batch) {
        long started = System.nanoTime();
        int items = batch.stream().mapToInt(Pending::items).sum();
        long[] shape = batch.get(0).shape.clone();
        shape[0] = items;
        DirectBuffers.Lease gathered = batch.size() == 1 ? null : gather(batch, shape);
        FloatBuffer input = gathered == null ? batch.get(0).input : gathered.floats();
        List<RequestScope.Registration> stops = new ArrayList<>();
        try (OrtSession.RunOptions options = new OrtSession.RunOptions()) {
            // A run nobody waits for any more is stopped; one that still has a live request goes on.
            Runnable stopIfAllGone = () -> {
                if (batch.stream().allMatch(p -> p.scope.stopped() != null)) {
                    ModelRunner.terminate(options);
                }
            };
            batch.forEach(p -> stops.add(p.scope.onCancel(stopIfAllGone)));
            try (OnnxTensor tensor = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), input, shape);
                 OrtSession.Result result = session.run(Map.of(inputName, tensor), options)) {
                OnnxTensor out = (OnnxTensor) result.get(0);
                long runNanos = System.nanoTime() - started;
                FloatBuffer values = out.getFloatBuffer();
                long[] outShape = out.getInfo().getShape();
                int perItem = values.remaining() / items;
                batchSizes.accept(items);
                for (Pending p : batch) {
                    float[] mine = new float[p.items() * perItem];
                    values.get(mine);
                    long[] s = outShape.clone();
                    s[0] = p.items();
                    p.complete(new Timed<>(new Output(mine, s), started - p.arrived, runNanos), null);
                }
            }
        } catch (OrtException | RuntimeException e) {
            InferenceException failure = new InferenceException(modelId, e);
            batch.forEach(p -> p.complete(null, failure));
        } finally {
            stops.forEach(RequestScope.Registration::close);
            if (gathered != null) {
                gathered.close();
            }
        }
    }

    /** The batch's inputs one after the other, in a buffer of the shared pool. */
    private static DirectBuffers.Lease gather(List<Pending> batch, long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        DirectBuffers.Lease lease = DirectBuffers.shared().take(Math.toIntExact(n));
        FloatBuffer b = lease.floats();
        for (Pending p : batch) {
            b.put(p.input.duplicate().rewind());
        }
        b.flip();
        return lease;
    }

    /** Answers what is queued with "busy", lets the runs in progress end (up to 30 s). */
    @Override
    public void close() {
        closed = true;
        collector.interrupt();
        try {
            collector.join(TimeUnit.SECONDS.toMillis(30));
            workers.shutdown();
            workers.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
