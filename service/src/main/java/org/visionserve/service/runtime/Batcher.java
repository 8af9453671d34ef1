package org.visionserve.service.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.visionserve.service.runtime.ModelRunner.Output;
import org.visionserve.service.runtime.ModelRunner.Timed;

/**
 * Triton's dynamic batcher for one model: requests (each a tensor of one or more items along axis 0:
 * an image, a clip's frames, a volume's slices) are gathered into one ONNX Runtime run of up to
 * {@code maxBatchSize} items, or until {@code maxQueueDelay} has passed since the first of them
 * arrived, or as soon as a preferred batch size is reached; each output is split back per request.
 * Batches are built by items, not requests: a request of more items than a run holds is split over
 * several runs, and the room its last part leaves is filled with other requests' items (the 25 frames
 * of one clip and of another take 7 runs of 8, not 2 x 4). Only requests of the same item shape (every
 * axis but the first) and the same outputs share a run: slices of two volumes of the same size do, of
 * different sizes do not; requests of another shape are passed over, not ending the batch.
 *
 * <p>One collector thread forms batches: it waits for a request, then for a run slot, so while the
 * model is busy the queue fills up behind that request and the next batch forms as soon as a slot
 * frees (the delay counts from the oldest request's arrival, as Triton's does). A lone client is not
 * delayed: the delay applies only while the model sees concurrent requests.
 * Runs go to {@code concurrency} worker threads. A request's caller only waits: its thread does no
 * ONNX Runtime work, and its input is copied into the batch before the run (or read in place when it
 * runs alone and whole), so the caller must not reuse the buffer until its answer came back.
 */
final class Batcher implements AutoCloseable {

    /** Items {@code [offset, offset + count)} of a request, in one run. */
    private record Piece(Pending pending, int offset, int count) {
    }

    /** One request in the queue; answered when all its items have run, or its first failure. */
    static final class Pending {
        final FloatBuffer input;
        final long[] shape;
        /** The outputs to return; never empty. */
        final Set<String> outputs;
        final RequestScope scope;
        final long arrived = System.nanoTime();
        private final int items;
        private final int itemFloats;
        // guarded by this
        private int taken;
        private int answered;
        /** Pieces of it in runs now: they read its input, so its caller waits for them even when cancelled. */
        private int running;
        private boolean cancelled;
        private boolean done;
        private RuntimeException failure;
        private final Map<String, float[]> values = new LinkedHashMap<>();
        private final Map<String, long[]> shapes = new LinkedHashMap<>();
        private long runNanos;
        private long lastEnd;

        Pending(FloatBuffer input, long[] shape, Set<String> outputs, RequestScope scope) {
            this.input = input;
            this.shape = shape;
            this.outputs = outputs;
            this.scope = scope;
            this.items = (int) shape[0];
            long n = 1;
            for (int i = 1; i < shape.length; i++) {
                n *= shape[i];
            }
            this.itemFloats = Math.toIntExact(n);
        }

        boolean sameKind(Pending o) {
            return Arrays.equals(shape, 1, shape.length, o.shape, 1, o.shape.length) && outputs.equals(o.outputs);
        }

        /**
         * Waits for the answer. Once the request's scope ends, no more of its items are taken; the wait
         * goes on until the runs reading its buffer ended (a run whose requests have all ended is
         * terminated).
         */
        Timed<Map<String, Output>> await() throws InterruptedException {
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
                synchronized (this) {
                    cancelled = true;
                    while (running > 0) {
                        wait();
                    }
                }
                throw e;
            }
            synchronized (this) {
                if (failure != null) {
                    throw failure;
                }
                Map<String, Output> out = new LinkedHashMap<>();
                values.forEach((name, v) -> out.put(name, new Output(v, shapes.get(name))));
                long queue = Math.max(0, lastEnd - arrived - runNanos);
                return new Timed<>(out, queue, runNanos);
            }
        }

        /**
         * Up to {@code room} of its items not taken yet, or null if it ended. A request of more items
         * than {@code limit} is cut into equal pieces (25 frames at 8: 7+6+6+6, not 8+8+8+1), so its runs
         * on several slots end together.
         */
        private synchronized Piece take(int room, int limit) {
            if (cancelled || failure != null || taken == items) {
                return null;
            }
            int left = items - taken;
            int runs = (left + limit - 1) / limit;
            int n = Math.min(room, (left + runs - 1) / runs);
            Piece p = new Piece(this, taken, n);
            taken += n;
            running++;
            return p;
        }

        private synchronized boolean allTaken() {
            return taken == items;
        }

        /** Copies a piece's rows of every output (each positioned at the piece's first row) into the answer. */
        private synchronized void answer(Piece piece, Map<String, FloatBuffer> rows, Map<String, long[]> batchShapes,
                                         long started, long ran) {
            for (Map.Entry<String, FloatBuffer> e : rows.entrySet()) {
                long[] s = batchShapes.get(e.getKey());
                int perItem = e.getValue().remaining() / piece.count();
                float[] v = values.computeIfAbsent(e.getKey(), k -> new float[items * perItem]);
                shapes.computeIfAbsent(e.getKey(), k -> {
                    long[] mine = s.clone();
                    mine[0] = items;
                    return mine;
                });
                e.getValue().get(v, piece.offset() * perItem, piece.count() * perItem);
            }
            runNanos += ran;
            lastEnd = Math.max(lastEnd, started + ran);
            answered += piece.count();
            ended();
        }

        private synchronized void fail(RuntimeException e, boolean running) {
            if (failure == null && !done) {
                failure = e;
            }
            if (running) {
                ended();
            } else if (this.running == 0) {
                done = true;
                notifyAll();
            }
        }

        private void ended() {
            running--;
            if (answered == items || (failure != null && running == 0)) {
                done = true;
            }
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
    /** Requests with items not taken yet, oldest first; guarded by itself. */
    private final LinkedList<Pending> queue = new LinkedList<>();
    private final ExecutorService workers;
    private final Thread collector;
    /** Requests queued, not yet wholly taken. */
    private final AtomicInteger waiting = new AtomicInteger();
    /** Requests in the last batch formed (collector thread only). */
    private int lastRunRequests;
    /** Items per run at most: the configured maximum, or less once the model's runner was tuned. */
    private volatile int limit;
    private volatile boolean closed;

    Batcher(String modelId, OrtSession session, String inputName, Semaphore slots, int concurrency,
            ModelRunner.Batching settings, IntConsumer batchSizes) {
        this.modelId = modelId;
        this.session = session;
        this.inputName = inputName;
        this.slots = slots;
        this.settings = settings;
        this.limit = settings.maxBatchSize();
        this.maxDelayNanos = TimeUnit.MICROSECONDS.toNanos(settings.maxQueueDelayMicros());
        this.batchSizes = batchSizes;
        this.workers = Executors.newFixedThreadPool(concurrency, r -> daemon(r, "batch-" + modelId));
        this.collector = daemon(this::collect, "batcher-" + modelId);
        collector.start();
    }

    /** Queues a request; the answer (the named outputs) comes through {@link Pending#await()}. */
    Pending submit(FloatBuffer input, long[] shape, Set<String> outputs, RequestScope scope) {
        Pending p = new Pending(input, shape, outputs, scope);
        synchronized (queue) {
            if (closed) {
                p.fail(OverloadedException.closing(modelId), false);
                return p;
            }
            waiting.incrementAndGet();
            queue.add(p);
            queue.notifyAll();
        }
        return p;
    }

    void limit(int items) {
        limit = items;
    }

    int waiting() {
        return waiting.get();
    }

    private void collect() {
        try {
            while (!closed) {
                synchronized (queue) {
                    while (queue.isEmpty()) {
                        queue.wait();
                    }
                }
                // While the model is busy, more requests queue up and join the next batch.
                slots.acquire();
                List<Piece> batch = new ArrayList<>();
                try {
                    gather(batch);
                } finally {
                    // also when closing: what was gathered still runs and is answered
                    if (batch.isEmpty()) {
                        slots.release();
                    } else {
                        lastRunRequests = batch.size();
                        workers.execute(() -> {
                            try {
                                run(batch);
                            } finally {
                                slots.release();
                            }
                        });
                    }
                }
            }
        } catch (InterruptedException e) {
            // closing
        } finally {
            synchronized (queue) {
                for (Pending p : queue) {
                    p.fail(OverloadedException.closing(modelId), false);
                }
                queue.clear();
                waiting.set(0);
            }
        }
    }

    /**
     * Fills {@code batch} with items of the oldest live request's kind, oldest first, up to the batch
     * size, a preferred size, or the delay; requests that ended leave the queue here.
     */
    private void gather(List<Piece> batch) throws InterruptedException {
        synchronized (queue) {
            // A lone client is never delayed: the delay applies while the model sees concurrent
            // traffic (its last run held several requests, or more are queued).
            boolean concurrent = lastRunRequests > 1 || queue.size() > 1;
            Pending head = null;
            int items = 0;
            int max = limit;
            long deadline = 0;
            while (true) {
                for (Iterator<Pending> it = queue.iterator(); it.hasNext() && items < max; ) {
                    Pending p = it.next();
                    if (head != null && !p.sameKind(head)) {
                        continue;
                    }
                    Piece piece = p.take(max - items, max);
                    if (piece == null || p.allTaken()) {
                        it.remove();
                        waiting.decrementAndGet();
                    }
                    if (piece == null) {
                        continue;
                    }
                    if (head == null) {
                        head = p;
                        deadline = concurrent ? p.arrived + maxDelayNanos : 0;
                    }
                    batch.add(piece);
                    items += piece.count();
                }
                if (head == null || items >= max
                        || settings.preferredBatchSizes().contains(items) || closed) {
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(queue, left);
            }
        }
    }

    /** One ONNX Runtime run over the gathered pieces; every piece is answered, also on failure. */
    private void run(List<Piece> batch) {
        long started = System.nanoTime();
        int items = batch.stream().mapToInt(Piece::count).sum();
        Pending first = batch.get(0).pending();
        long[] shape = first.shape.clone();
        shape[0] = items;
        boolean whole = batch.size() == 1 && items == first.items;
        DirectBuffers.Lease gathered = whole ? null : gather(batch, first.itemFloats * items);
        FloatBuffer input = gathered == null ? first.input : gathered.floats();
        List<RequestScope.Registration> stops = new ArrayList<>();
        try (OrtSession.RunOptions options = new OrtSession.RunOptions()) {
            // A run nobody waits for any more is stopped; one that still has a live request goes on.
            Runnable stopIfAllGone = () -> {
                if (batch.stream().allMatch(p -> p.pending().scope.stopped() != null)) {
                    ModelRunner.terminate(options);
                }
            };
            batch.forEach(p -> stops.add(p.pending().scope.onCancel(stopIfAllGone)));
            try (OnnxTensor tensor = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), input, shape);
                 OrtSession.Result result = session.run(Map.of(inputName, tensor), first.outputs, options)) {
                long ran = System.nanoTime() - started;
                Map<String, FloatBuffer> all = new LinkedHashMap<>();
                Map<String, long[]> shapes = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : result) {
                    OnnxTensor out = (OnnxTensor) e.getValue();
                    all.put(e.getKey(), out.getFloatBuffer());
                    shapes.put(e.getKey(), out.getInfo().getShape());
                }
                batchSizes.accept(items);
                int row = 0;
                for (Piece p : batch) {
                    Map<String, FloatBuffer> rows = new LinkedHashMap<>();
                    for (Map.Entry<String, FloatBuffer> e : all.entrySet()) {
                        int perItem = e.getValue().remaining() / items;
                        rows.put(e.getKey(), e.getValue().slice(e.getValue().position() + row * perItem,
                                p.count() * perItem));
                    }
                    p.pending().answer(p, rows, shapes, started, ran);
                    row += p.count();
                }
            }
        } catch (OrtException | RuntimeException e) {
            InferenceException failure = new InferenceException(modelId, e);
            for (Piece p : batch) {
                p.pending().fail(failure, true);
            }
        } finally {
            stops.forEach(RequestScope.Registration::close);
            if (gathered != null) {
                gathered.close();
            }
        }
    }

    /** The pieces' items one after the other, in a buffer of the shared pool. */
    private static DirectBuffers.Lease gather(List<Piece> batch, int floats) {
        DirectBuffers.Lease lease = DirectBuffers.shared().take(floats);
        FloatBuffer b = lease.floats();
        for (Piece p : batch) {
            int n = p.pending().itemFloats;
            FloatBuffer in = p.pending().input;
            b.put(in.slice(in.position() + p.offset() * n, p.count() * n));
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
