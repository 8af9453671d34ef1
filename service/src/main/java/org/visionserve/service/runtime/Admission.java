package org.visionserve.service.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import org.visionserve.service.config.VisionServeProperties;

/**
 * The one admission mechanism of the service: a request reserves its estimated working memory (from
 * its inputs' headers, before anything is decoded) against a global memory budget, and a place in its
 * pool (a model, named by its id, or a pipeline, {@link #PIPELINE_PREFIX}), before it is decoded. What cannot be admitted yet
 * waits, first come first served, in its pool's bounded queue until its deadline; beyond the queue it
 * is refused at once with 503 and a Retry-After from the pool's observed service time. A request whose
 * cost alone exceeds the budget is refused with 413 before it waits at all.
 *
 * <p>Memory is admitted strictly in arrival order (a large request is not starved by small ones behind
 * it); a request waiting only for its own pool's place does not hold up other pools.
 */
@Component
public final class Admission {

    /** The configuration key of the memory budget, named in 413 answers. */
    public static final String MEMORY_BUDGET_KEY = "visionserve.admission.memory-budget";

    /**
     * What the pool of a pipeline is named with ({@code pipeline/clips}, {@code pipeline/volumes}). A
     * model's pool is named by the model's id, its directory's name in the repository, which cannot hold
     * a {@code /}: no model's pool can be a pipeline's (a model called {@code clips} has the pool
     * {@code clips}, the clip pipeline {@code pipeline/clips}).
     */
    public static final String PIPELINE_PREFIX = "pipeline/";

    /**
     * The progress stage {@link #admit} reports ({@link RequestScope#progress}): 0 of 1 once the request
     * passed every refusal and waits in its queue, 1 of 1 once admitted.
     */
    public static final String QUEUE_STAGE = "queue";

    /**
     * One pool's limits.
     *
     * @param concurrency   requests of the pool admitted at once
     * @param queueCapacity requests of the pool that may wait beyond those
     * @param configKey     where the two are configured, for the 503's detail
     */
    public record Limits(int concurrency, int queueCapacity, String configKey) {
        public Limits {
            concurrency = Math.max(1, concurrency);
            queueCapacity = Math.max(0, queueCapacity);
        }
    }

    private final long budgetBytes;
    private final int cpuSlots;
    private final Semaphore cpu;
    private final Map<String, Pool> pools = new ConcurrentHashMap<>();
    private final List<Consumer<String>> poolListeners = new CopyOnWriteArrayList<>();
    /** Waiting requests of every pool in arrival order; guarded by {@code this}. */
    private final List<Waiter> queue = new ArrayList<>();
    private long reservedBytes;

    @Autowired
    public Admission(VisionServeProperties props) {
        this(props.admission().budgetBytes(), props.admission().cpuSlots());
    }

    /** @param budgetBytes working memory all admitted requests together may reserve */
    public Admission(long budgetBytes) {
        this(budgetBytes, Integer.MAX_VALUE);
    }

    /**
     * @param budgetBytes working memory all admitted requests together may reserve
     * @param cpuSlots    requests doing CPU work before inference (decoding, resizing) at once
     */
    public Admission(long budgetBytes, int cpuSlots) {
        this.budgetBytes = budgetBytes;
        this.cpuSlots = cpuSlots;
        this.cpu = new Semaphore(cpuSlots, true);
    }

    /**
     * The CPU-slot default: half the cores (at least one). ONNX Runtime's intra-op threads run one
     * operator in parallel and wait for the slowest of them, so every image-decoding thread that takes
     * a core from a running batch stalls all of it; bounding the decoding threads leaves the rest of
     * the cores to inference while the next batch is still prepared in parallel with the running one.
     */
    public static int defaultCpuSlots() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    /**
     * Waits (in arrival order, until the request's deadline) for one of the CPU slots, for an admitted
     * request's work before inference; closing the returned slot gives it back.
     */
    public CpuSlot cpu(RequestScope scope) throws InterruptedException {
        scope.await(nanos -> cpu.tryAcquire(nanos, TimeUnit.NANOSECONDS));
        return new CpuSlot();
    }

    /** A CPU slot, given back when closed. */
    public final class CpuSlot implements AutoCloseable {
        private boolean closed;

        private CpuSlot() {
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                cpu.release();
            }
        }
    }

    public int cpuSlots() {
        return cpuSlots;
    }

    /** The default budget: 60% of the JVM's max heap, the rest left to Spring, Tomcat, caches and headroom. */
    public static long defaultBudget() {
        return Runtime.getRuntime().maxMemory() / 10 * 6;
    }

    /** Sets (or changes) a pool's limits; requests already admitted keep their places. */
    public void define(String pool, Limits limits) {
        boolean[] created = {false};
        pools.compute(pool, (k, p) -> {
            if (p == null) {
                created[0] = true;
                return new Pool(k, limits);
            }
            synchronized (this) {
                p.limits = limits;
                notifyAll();
            }
            return p;
        });
        if (created[0]) {
            poolListeners.forEach(l -> l.accept(pool));
        }
    }

    /**
     * Tells {@code listener} the name of every pool, those defined already and each one defined later
     * (the metrics register their per-pool gauges this way; runtime does not know of them).
     */
    public void onPoolDefined(Consumer<String> listener) {
        poolListeners.add(listener);
        pools.keySet().forEach(listener);
    }

    /** Whether {@code pool} has been defined. */
    public boolean defines(String pool) {
        return pools.containsKey(pool);
    }

    /**
     * Reserves {@code bytes} of the memory budget and a place in {@code pool}, waiting in the pool's
     * queue while either is short, until the request's deadline.
     *
     * @throws CostOverBudgetException   if {@code bytes} alone exceed the budget (413)
     * @throws OverloadedException       if the pool's queue is full (503)
     * @throws RequestCancelledException if the deadline passed or the client went away while waiting
     */
    public Ticket admit(String pool, long bytes, RequestScope scope) throws InterruptedException {
        Pool p = pools.get(pool);
        if (p == null) {
            throw new IllegalStateException("no admission pool '" + pool + "'");
        }
        if (bytes > budgetBytes) {
            throw new CostOverBudgetException(bytes, budgetBytes);
        }
        scope.check();
        Waiter w = new Waiter(p, bytes);
        synchronized (this) {
            if (p.waiting >= p.limits.queueCapacity() && !fitsNow(w)) {
                throw new OverloadedException(pool, p.retryAfterSeconds(), p.limits);
            }
            queue.add(w);
            p.waiting++;
            admitWhatFits();
        }
        // Past every refusal: an asynchronous operation is accepted from here, queued until admitted.
        scope.progress(QUEUE_STAGE, 0, 1);
        try {
            scope.await(nanos -> {
                synchronized (this) {
                    if (!w.admitted) {
                        TimeUnit.NANOSECONDS.timedWait(this, nanos);
                    }
                    return w.admitted;
                }
            });
        } catch (RuntimeException | InterruptedException e) {
            synchronized (this) {
                if (queue.remove(w)) {
                    p.waiting--;
                    admitWhatFits(); // it may have held up those behind it
                } else if (w.admitted) {
                    release(w);
                }
            }
            throw e;
        }
        scope.progress(QUEUE_STAGE, 1, 1);
        return new Ticket(w);
    }

    /** Bytes reserved by admitted requests. */
    public synchronized long reservedBytes() {
        return reservedBytes;
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    /** The pool's limits. */
    public Limits limits(String pool) {
        Pool p = pools.get(pool);
        if (p == null) {
            throw new IllegalStateException("no admission pool '" + pool + "'");
        }
        return p.limits;
    }

    /** Requests waiting in {@code pool}'s queue. */
    public synchronized int waiting(String pool) {
        Pool p = pools.get(pool);
        return p == null ? 0 : p.waiting;
    }

    /** Requests admitted in {@code pool}. */
    public synchronized int active(String pool) {
        Pool p = pools.get(pool);
        return p == null ? 0 : p.active;
    }

    /** An admitted request's reservation, given back when closed. */
    public final class Ticket implements AutoCloseable {
        private final Waiter w;
        private final long admittedAt = System.nanoTime();
        private boolean closed;

        private Ticket(Waiter w) {
            this.w = w;
        }

        /** Nanoseconds the request waited to be admitted. */
        public long queueNanos() {
            return admittedAt - w.arrived;
        }

        @Override
        public void close() {
            synchronized (Admission.this) {
                if (!closed) {
                    closed = true;
                    w.pool.observe(System.nanoTime() - admittedAt);
                    release(w);
                }
            }
        }
    }

    private boolean fitsNow(Waiter w) {
        return queue.isEmpty() && w.pool.active < w.pool.limits.concurrency() && reservedBytes + w.bytes <= budgetBytes;
    }

    /** Admits waiters in arrival order; guarded by {@code this}. */
    private void admitWhatFits() {
        boolean memoryBlocked = false;
        for (var it = queue.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.pool.active >= w.pool.limits.concurrency()) {
                continue; // waits for its own pool only
            }
            if (memoryBlocked || reservedBytes + w.bytes > budgetBytes) {
                memoryBlocked = true; // nobody behind it takes the memory it waits for
                continue;
            }
            it.remove();
            w.pool.waiting--;
            w.pool.active++;
            reservedBytes += w.bytes;
            w.admitted = true;
        }
        notifyAll();
    }

    private void release(Waiter w) {
        w.pool.active--;
        reservedBytes -= w.bytes;
        admitWhatFits();
    }

    private static final class Waiter {
        final Pool pool;
        final long bytes;
        final long arrived = System.nanoTime();
        boolean admitted;

        Waiter(Pool pool, long bytes) {
            this.pool = pool;
            this.bytes = bytes;
        }
    }

    private static final class Pool {
        final String name;
        volatile Limits limits;
        int active;
        int waiting;
        /** Moving average of how long an admitted request holds its place; 0 until one finished. */
        double holdNanos;

        Pool(String name, Limits limits) {
            this.name = name;
            this.limits = limits;
        }

        void observe(long nanos) {
            holdNanos = holdNanos == 0 ? nanos : 0.8 * holdNanos + 0.2 * nanos;
        }

        /** When a place is likely free: the queue ahead served at the observed rate, 1 s to 5 min. */
        long retryAfterSeconds() {
            double perRequest = holdNanos / limits.concurrency();
            double seconds = (waiting + 1) * perRequest / 1e9;
            return Math.max(1, Math.min(300, (long) Math.ceil(seconds)));
        }
    }
}
