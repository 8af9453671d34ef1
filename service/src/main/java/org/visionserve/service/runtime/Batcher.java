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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ConcurrentHashMap;
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
        final long arrived = System.nanoTime();
        private final AtomicInteger state = new AtomicInteger(WAITING);
        private Timed<Output> result;
        private RuntimeException failure;
        private boolean done;

        Pending(FloatBuffer input, long[] shape) {
            this.input = input;
            this.shape = shape;
        }

        int items() {
            return (int) shape[0];
        }

        boolean sameItemShape(Pending o) {
            return Arrays.equals(shape, 1, shape.length, o.shape, 1, o.shape.length);
        }

        /** Waits for the answer. Interrupted before a batch took it, the request leaves the queue. */
        Timed<Output> await() throws InterruptedException {
            synchronized (this) {
                try {
                    while (!done) {
                        wait();
                    }
                } catch (InterruptedException e) {
                    if (state.compareAndSet(WAITING, CANCELLED)) {
                        throw e;
                    }
                    // A run reads this request's buffer: wait for it to end before the caller frees it.
                    while (!done) {
                        try {
                            wait();
                        } catch (InterruptedException again) {
                            // keep waiting; the interrupt is restored below
                        }
                    }
                    Thread.currentThread().interrupt();
                }
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
    /** Direct batch buffers by capacity, reused: direct memory is only freed when the GC gets to it. */
    private final Map<Integer, Deque<FloatBuffer>> buffers = new ConcurrentHashMap<>();
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
    Pending submit(FloatBuffer input, long[] shape) {
        Pending p = new Pending(input, shape);
        waiting.incrementAndGet();
        queue.add(p);
        if (closed && queue.remove(p)) {
            waiting.decrementAndGet();
            p.complete(null, new ModelBusyException(modelId, 0, 0));
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
                    p.complete(null, new ModelBusyException(modelId, 0, 0));
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
        FloatBuffer input = batch.size() == 1 ? batch.get(0).input : gather(batch, shape);
        try (OnnxTensor tensor = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), input, shape);
             OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
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
        } catch (OrtException | RuntimeException e) {
            InferenceException failure = new InferenceException(modelId, e);
            batch.forEach(p -> p.complete(null, failure));
        } finally {
            if (batch.size() > 1) {
                release(input);
            }
        }
    }

    private FloatBuffer gather(List<Pending> batch, long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        int floats = Math.toIntExact(n);
        Deque<FloatBuffer> free = buffers.get(floats);
        FloatBuffer b = null;
        if (free != null) {
            synchronized (free) {
                b = free.pollFirst();
            }
        }
        if (b == null) {
            b = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
        b.clear();
        for (Pending p : batch) {
            b.put(p.input.duplicate().rewind());
        }
        return b.flip();
    }

    private void release(FloatBuffer b) {
        Deque<FloatBuffer> free = buffers.computeIfAbsent(b.capacity(), k -> new ArrayDeque<>());
        synchronized (free) {
            if (free.size() < 2) {
                free.addFirst(b);
            }
        }
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
