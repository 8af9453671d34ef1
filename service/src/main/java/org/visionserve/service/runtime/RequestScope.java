package org.visionserve.service.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One request's lifetime: its deadline and its cancellation, carried to every stage that works for
 * it (decode loops, optical flow, admission and run-slot waits, ONNX Runtime runs). Work checks
 * {@link #check()} between steps; what cannot check (a native run in progress) registers an
 * {@link #onCancel} action instead. One watchdog thread ends the scopes whose deadline passed or whose
 * client went away (the web layer's {@code clientGone} probe), within {@link #WATCH_INTERVAL}.
 *
 * <p>Waits never rely on thread interrupts: interrupting a servlet thread can close its connection,
 * and a timed-out request must still be answered (504).
 */
public final class RequestScope implements AutoCloseable {

    /** Why a request's work stopped: its deadline, its client gone, or its caller's cancel (an operation's DELETE). */
    public enum Reason { DEADLINE, CLIENT_GONE, CANCELLED }

    /** How often the watchdog looks at deadlines and clients: an abandoned request stops within this. */
    public static final Duration WATCH_INTERVAL = Duration.ofMillis(100);

    private static final Set<RequestScope> OPEN = ConcurrentHashMap.newKeySet();
    private static Thread watchdog;

    private final long deadline;
    private final Duration timeout;
    private final BooleanSupplier clientGone;
    private final List<Runnable> onCancel = new CopyOnWriteArrayList<>();
    private volatile Progress progress = Progress.NONE;
    private volatile Reason reason;
    /** Guarded by {@code this}: once closed, the client probe is never asked again (its request is recycled). */
    private boolean closed;

    private RequestScope(Duration timeout, BooleanSupplier clientGone) {
        this.timeout = timeout;
        this.deadline = System.nanoTime() + timeout.toNanos();
        this.clientGone = clientGone;
    }

    /**
     * A scope ending {@code timeout} from now, or earlier when {@code clientGone} says so (it is asked
     * from the watchdog thread, so it must be cheap and must not block). Close it when the request ends.
     */
    public static RequestScope open(Duration timeout, BooleanSupplier clientGone) {
        RequestScope scope = new RequestScope(timeout, clientGone);
        OPEN.add(scope);
        startWatchdog();
        return scope;
    }

    /** A scope that only its deadline ends: warm-ups, benchmarks, tests. */
    public static RequestScope withTimeout(Duration timeout) {
        return open(timeout, () -> false);
    }

    /** The time the request was given. */
    public Duration timeout() {
        return timeout;
    }

    /** Nanoseconds left until the deadline; 0 or less once it passed. */
    public long remainingNanos() {
        return deadline - System.nanoTime();
    }

    /** Why the request was stopped, or null while it may go on. */
    public Reason stopped() {
        if (reason == null && remainingNanos() <= 0) {
            cancel(Reason.DEADLINE);
        }
        return reason;
    }

    /** @throws RequestCancelledException once the deadline passed or the client went away */
    public void check() {
        Reason r = stopped();
        if (r != null) {
            throw new RequestCancelledException(r, timeout);
        }
    }

    /** Stops the request's work: every {@link #onCancel} action runs once, on the caller's thread. */
    public void cancel(Reason why) {
        synchronized (this) {
            if (reason != null) {
                return;
            }
            reason = why;
        }
        for (Runnable r : onCancel) {
            r.run();
        }
    }

    /**
     * Runs {@code action} when the request is stopped (at once if it already is), until the returned
     * handle is closed: e.g. terminating an ONNX Runtime run while it is in progress.
     */
    public Registration onCancel(Runnable action) {
        onCancel.add(action);
        if (reason != null) {
            action.run();
        }
        return () -> onCancel.remove(action);
    }

    /** An {@link #onCancel} action's registration; closing it unregisters the action. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Where the request's work says how far it has come: a synchronous request ignores it, an
     * asynchronous operation shows it. Stages report in their own units (flow pairs, frames, slices,
     * windows); {@code completed} only grows within a stage.
     */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (stage, completed, total) -> { };

        void report(String stage, long completed, long total);
    }

    /** Sends the work's progress to {@code listener} from now on (set before the work starts). */
    public RequestScope onProgress(Progress listener) {
        this.progress = listener == null ? Progress.NONE : listener;
        return this;
    }

    /** Reports that {@code completed} of {@code total} units of {@code stage} are done. */
    public void progress(String stage, long completed, long total) {
        progress.report(stage, completed, total);
    }

    /**
     * Waits up to the deadline for {@code done}, looking at the scope at least every watch interval: a
     * wait for a slot or an answer ends as soon as the request is stopped.
     *
     * @param waitStep waits at most the given nanoseconds for progress, returns true when done
     */
    public void await(WaitStep waitStep) throws InterruptedException {
        long step = WATCH_INTERVAL.toNanos();
        while (true) {
            check();
            if (waitStep.waitUpTo(Math.max(1, Math.min(step, remainingNanos())))) {
                return;
            }
        }
    }

    /** One bounded wait of {@link #await}. */
    @FunctionalInterface
    public interface WaitStep {
        boolean waitUpTo(long nanos) throws InterruptedException;
    }

    @Override
    public void close() {
        OPEN.remove(this);
        synchronized (this) {
            closed = true;
        }
        onCancel.clear();
    }

    /** Asks the client probe, unless the scope was closed. */
    private synchronized boolean clientGone() {
        return !closed && clientGone.getAsBoolean();
    }

    private static synchronized void startWatchdog() {
        if (watchdog == null) {
            watchdog = new Thread(RequestScope::watch, "request-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
        }
    }

    private static void watch() {
        while (true) {
            try {
                TimeUnit.NANOSECONDS.sleep(WATCH_INTERVAL.toNanos());
            } catch (InterruptedException e) {
                return;
            }
            for (RequestScope s : OPEN) {
                try {
                    if (s.stopped() == null && s.clientGone()) {
                        s.cancel(Reason.CLIENT_GONE);
                    }
                } catch (RuntimeException e) {
                    // a probe that fails says nothing about the client; the deadline still holds
                }
            }
        }
    }
}
