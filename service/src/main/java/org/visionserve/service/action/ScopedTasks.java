package org.visionserve.service.action;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.visionserve.service.runtime.RequestScope;

/**
 * One request's tasks on the clip pipeline's shared pool, bound to the request's scope: a task starts
 * only while the scope lasts; once it ends (deadline, client gone) or a task fails, the tasks not yet
 * started are cancelled and the caller waits only for those in progress (each one bounded step: a frame
 * pair's flow, a sample point's planes) before it throws. So nothing of a request keeps a core busy, or
 * holds the memory its admission reserved, after the request ended.
 */
final class ScopedTasks {

    /** The deadline of the pipeline's methods called without a request (tests, tools). */
    private static final Duration UNBOUNDED = Duration.ofDays(365);

    private int running;
    private boolean stopped;

    private ScopedTasks() {
    }

    /** Runs {@code work} in a scope of its own that no deadline ends (the pipeline's calls without a request). */
    static <T> T unbounded(Function<RequestScope, T> work) {
        try (RequestScope scope = RequestScope.withTimeout(UNBOUNDED)) {
            return work.apply(scope);
        }
    }

    /**
     * Runs the tasks on the pool and returns their results in order.
     *
     * @throws org.visionserve.service.runtime.RequestCancelledException if the scope ended first
     */
    static <T> List<T> run(ExecutorService pool, List<Callable<T>> tasks, RequestScope scope) {
        scope.check();
        ScopedTasks batch = new ScopedTasks();
        List<Future<T>> futures = new ArrayList<>(tasks.size());
        try {
            for (Callable<T> task : tasks) {
                futures.add(pool.submit(() -> batch.call(task, scope)));
            }
            List<T> results = new ArrayList<>(tasks.size());
            for (Future<T> f : futures) {
                results.add(await(f, scope));
            }
            return results;
        } catch (RuntimeException | Error e) {
            batch.stop(futures);
            throw e;
        }
    }

    /** A task, unless the batch was stopped or the scope ended before it started (null then: never read). */
    private <T> T call(Callable<T> task, RequestScope scope) throws Exception {
        synchronized (this) {
            if (stopped || scope.stopped() != null) {
                return null;
            }
            running++;
        }
        try {
            return task.call();
        } finally {
            synchronized (this) {
                running--;
                notifyAll();
            }
        }
    }

    /** Cancels what has not started and waits for what is in progress. */
    private void stop(List<? extends Future<?>> futures) {
        synchronized (this) {
            stopped = true;
        }
        futures.forEach(f -> f.cancel(false));
        synchronized (this) {
            try {
                while (running > 0) {
                    wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The task's result, waiting no longer than the scope lasts. */
    private static <T> T await(Future<T> f, RequestScope scope) {
        try {
            scope.await(nanos -> {
                try {
                    f.get(nanos, TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    return false;
                } catch (ExecutionException e) {
                    return true; // thrown below
                }
                return true;
            });
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the clip pipeline's tasks", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
