package org.visionserve.service.operations;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Service;
import org.visionserve.service.config.OperationsProperties;
import org.visionserve.service.metrics.ServiceMetrics;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.RequestCancelledException;
import org.visionserve.service.runtime.RequestScope;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Asynchronous operations: a task's work run on a thread of its own, its state, progress and result in
 * the {@link OperationStore}. An operation is accepted once its work reports its first progress: the
 * admission queue's ({@link Admission#QUEUE_STAGE}), reached only after the input was measured and every
 * refusal (4xx, 503 overloaded) was thrown, which {@link #submit} then throws to its caller as the
 * synchronous call would. The operation keeps its admission ticket while it runs; its deadline and its
 * cancel go through its {@link RequestScope}. Finished operations are kept for the retention, within a
 * bounded count and size (the oldest finished go first).
 */
@Service
public class Operations implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(Operations.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Progress is written to the store at most this often per operation (and at every change of stage). */
    private static final long SAVE_INTERVAL_NANOS = Duration.ofMillis(200).toNanos();

    /** What an operation computes. */
    @FunctionalInterface
    public interface Work {
        Result run(RequestScope scope) throws Exception;
    }

    /** An operation's answer: what the synchronous call returns as JSON, and its binary results. */
    public record Result(Object json, List<StoredFile> files) {
    }

    /**
     * The part {@code from} to {@code to} of the overall fraction a progress stage covers. An operation's
     * spans are in the order its work reaches them (after the admission queue): a report of an earlier
     * stage once a later one began (a window's flow pairs and frames, inside the windows stage) is not
     * shown, so the stage shown only moves forward; a stage without a span is shown, the fraction kept.
     */
    public record Span(String stage, double from, double to) {
    }

    private final OperationStore store;
    private final OperationsProperties props;
    private final Map<String, Live> live = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;

    public Operations(OperationStore store, OperationsProperties props, ServiceMetrics metrics) {
        this.store = store;
        this.props = props;
        store.onCancel(this::cancelHere);
        metrics.registerOperations(OperationState.STATES, this::count);
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "operations-sweeper");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(200, Math.min(10_000, props.retention().toMillis() / 2));
        sweeper.scheduleWithFixedDelay(this::sweepQuietly, every, every, TimeUnit.MILLISECONDS);
    }

    /** One operation running on this replica. */
    private static final class Live {
        final RequestScope scope;
        final List<Span> spans;
        final CountDownLatch accepted = new CountDownLatch(1);
        OperationState state;
        boolean published;
        long lastSave;
        Throwable refused;
        Thread thread;

        Live(RequestScope scope, List<Span> spans, OperationState state) {
            this.scope = scope;
            this.spans = spans;
            this.state = state;
        }
    }

    /** The deadline an operation of a task gets: the configured one, else the task's. */
    public Duration deadline(Duration taskDeadline) {
        return props.deadline() != null ? props.deadline() : taskDeadline;
    }

    /**
     * Starts {@code work} and returns the operation once it is accepted (or finished).
     *
     * @param spans     the stages of the work and their parts of the overall fraction, in order
     * @param toProblem the problem (RFC 9457) a failure is reported with
     * @throws Exception what the work threw before it was accepted: the synchronous call's refusal
     */
    public OperationState submit(String kind, String model, String owner, Duration deadline, List<Span> spans,
                                 Work work, Function<Throwable, JsonNode> toProblem) throws Exception {
        Instant now = Instant.now();
        String id = UUID.randomUUID().toString();
        OperationState initial = new OperationState(id, kind, model, owner, OperationState.QUEUED,
                new OperationState.Progress(Admission.QUEUE_STAGE, 0, 1, 0), now, null, now, null, null, null, 0,
                List.of(), 0);
        RequestScope scope = RequestScope.withTimeout(deadline);
        Live op = new Live(scope, List.copyOf(spans), initial);
        scope.onProgress((stage, completed, total) -> progress(op, stage, completed, total));
        live.put(id, op);
        Thread t = new Thread(() -> run(op, work, toProblem), "operation-" + id);
        t.setDaemon(true);
        op.thread = t;
        t.start();
        op.accepted.await();
        synchronized (op) {
            if (op.refused != null) {
                live.remove(id);
                if (op.refused instanceof Exception e) {
                    throw e;
                }
                throw (Error) op.refused;
            }
            save(op);
            op.published = true;
            if (!op.state.finished()) {
                return op.state;
            }
        }
        sweepQuietly(); // it finished before it was published: its result may take the store over its bounds
        return op.state;
    }

    private void run(Live op, Work work, Function<Throwable, JsonNode> toProblem) {
        Result result = null;
        Throwable failure = null;
        try {
            result = work.run(op.scope);
        } catch (Exception | Error e) {
            failure = e;
        } finally {
            op.scope.close();
        }
        try {
            finish(op, result, failure, toProblem);
        } catch (RuntimeException e) {
            log.error("operation {}: its end could not be stored", op.state.id(), e);
        } finally {
            live.remove(op.state.id());
        }
    }

    private void finish(Live op, Result result, Throwable failure, Function<Throwable, JsonNode> toProblem) {
        synchronized (op) {
            if (failure != null && op.accepted.getCount() > 0) {
                op.refused = failure; // refused before it was accepted: the submitter answers it
                op.accepted.countDown();
                return;
            }
        }
        Instant now = Instant.now();
        Instant expires = now.plus(props.retention());
        String status;
        JsonNode problem = null;
        long bytes = 0;
        List<String> names = new ArrayList<>();
        if (failure == null) {
            status = OperationState.SUCCEEDED;
            String json = JSON.writeValueAsString(result.json());
            bytes = json.length();
            for (StoredFile f : result.files()) {
                bytes += f.bytes().length;
                names.add(f.name());
            }
            store.saveResult(op.state.id(), json, result.files(), props.retention());
        } else {
            status = failure instanceof RequestCancelledException c && c.reason() == RequestScope.Reason.CANCELLED
                    ? OperationState.CANCELLED : OperationState.FAILED;
            try {
                problem = toProblem.apply(failure);
            } catch (RuntimeException e) {
                log.error("operation {}: its failure could not be described", op.state.id(), e);
            }
        }
        boolean stored;
        synchronized (op) {
            OperationState.Progress p = op.state.progress();
            OperationState.Progress last = failure == null
                    ? new OperationState.Progress(p.stage(), p.completed(), p.total(), 1.0) : p;
            op.state = op.state.finish(status, now, expires, problem, bytes, names, last);
            op.accepted.countDown();
            stored = op.published; // else its submitter stores it (and sweeps)
            if (stored) {
                save(op);
            }
        }
        if (stored) {
            sweepQuietly(); // its result may take the store over its bounds
        }
    }

    /** A progress report of the work: kept, and written to the store now and then. */
    private void progress(Live op, String stage, long completed, long total) {
        synchronized (op) {
            OperationState s = op.state;
            if (s.finished() || stage.equals(s.progress().stage()) && completed < s.progress().completed()) {
                return; // a report overtaken by a later one of the same stage (pool threads)
            }
            int rank = rank(op, stage);
            if (rank >= 0 && rank < rank(op, s.progress().stage())) {
                return; // an inner step of a later stage
            }
            boolean queued = Admission.QUEUE_STAGE.equals(stage) && completed < total;
            String status = queued ? OperationState.QUEUED : OperationState.RUNNING;
            Instant now = Instant.now();
            Instant started = s.startedAt() == null && !queued ? now : s.startedAt();
            double fraction = s.progress().fraction();
            Span span = rank >= 0 ? op.spans.get(rank) : null;
            if (span != null && total > 0) {
                fraction = Math.max(fraction,
                        span.from() + (span.to() - span.from()) * Math.min(1.0, (double) completed / total));
            }
            boolean changed = !stage.equals(s.progress().stage()) || !status.equals(s.status());
            op.state = s.with(status, new OperationState.Progress(stage, completed, total, fraction), started, now);
            op.accepted.countDown();
            if (op.published && (changed || System.nanoTime() - op.lastSave >= SAVE_INTERVAL_NANOS)) {
                save(op);
            }
        }
    }

    /** The stage's place among the operation's spans, -1 for the admission queue and stages without one. */
    private static int rank(Live op, String stage) {
        for (int i = 0; i < op.spans.size(); i++) {
            if (op.spans.get(i).stage().equals(stage)) {
                return i;
            }
        }
        return -1;
    }

    /** Writes the operation's state; a store that fails is logged (the work goes on, its end is retried). */
    private void save(Live op) {
        try {
            Duration ttl = op.state.finished() ? props.retention() : op.scope.timeout().plus(props.retention());
            store.save(op.state, ttl);
            op.lastSave = System.nanoTime();
        } catch (RuntimeException e) {
            log.warn("operation {}: its state could not be stored: {}", op.state.id(), e.toString());
        }
    }

    /** The operation, if it is kept and visible to {@code owner} (null: every operation, authentication off). */
    public Optional<OperationState> find(String id, String owner) {
        Live l = live.get(id);
        Optional<OperationState> s;
        if (l != null && l.published) {
            synchronized (l) {
                s = Optional.of(l.state);
            }
        } else {
            s = store.find(id);
        }
        return s.filter(o -> visible(o, owner) && !expired(o, Instant.now()));
    }

    /** The operations visible to {@code owner}, oldest first. */
    public List<OperationState> list(String owner) {
        Instant now = Instant.now();
        return store.all().stream().filter(o -> visible(o, owner) && !expired(o, now)).toList();
    }

    public Optional<String> result(String id) {
        return store.result(id);
    }

    public Optional<StoredFile> file(String id, String name) {
        return store.file(id, name);
    }

    /** Asks the replica running the operation to stop it (it ends as {@code cancelled} within a second). */
    public void cancel(String id) {
        if (!cancelHere(id)) {
            store.publishCancel(id);
        }
    }

    /** Forgets a finished operation and its result. */
    public void remove(String id) {
        store.remove(id);
    }

    private boolean cancelHere(String id) {
        Live l = live.get(id);
        if (l == null) {
            return false;
        }
        l.scope.cancel(RequestScope.Reason.CANCELLED);
        return true;
    }

    /** Operations running on this replica now (their threads alive). */
    public int runningHere() {
        return live.size();
    }

    /** The thread running the operation on this replica, if it does (tests: it ends when the work ends). */
    public Optional<Thread> threadOf(String id) {
        Live l = live.get(id);
        return l == null ? Optional.empty() : Optional.of(l.thread);
    }

    private long count(String status) {
        Instant now = Instant.now();
        try {
            return store.all().stream().filter(o -> o.status().equals(status) && !expired(o, now)).count();
        } catch (RuntimeException e) {
            return 0; // a store out of reach: no sample is better than a failed scrape
        }
    }

    private static boolean visible(OperationState o, String owner) {
        return owner == null || owner.equals(o.owner());
    }

    private static boolean expired(OperationState o, Instant now) {
        return o.expiresAt() != null && o.expiresAt().isBefore(now);
    }

    /** Drops the expired, then the oldest finished while over the count or size bound. */
    void sweep() {
        Instant now = Instant.now();
        List<OperationState> kept = new ArrayList<>();
        for (OperationState o : store.all()) {
            if (expired(o, now)) {
                store.remove(o.id());
            } else {
                kept.add(o);
            }
        }
        long count = kept.size();
        long bytes = kept.stream().mapToLong(OperationState::resultBytes).sum();
        long maxBytes = props.maxBytes().toBytes();
        for (OperationState o : kept) {
            if (count <= props.maxCount() && bytes <= maxBytes) {
                break;
            }
            if (o.finished()) {
                store.remove(o.id());
                count--;
                bytes -= o.resultBytes();
            }
        }
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            log.warn("operations: the sweep failed: {}", e.toString());
        }
    }

    @Override
    public void destroy() {
        sweeper.shutdownNow();
        live.values().forEach(l -> l.scope.cancel(RequestScope.Reason.CANCELLED));
    }
}
