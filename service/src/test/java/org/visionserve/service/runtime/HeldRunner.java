package org.visionserve.service.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Holds every run slot of a model's runner with jobs that wait until closed, for tests of other
 * packages that need requests to be queued at the model (certain, not a matter of timing).
 */
public final class HeldRunner implements AutoCloseable {

    private final CountDownLatch release = new CountDownLatch(1);
    private final List<CompletableFuture<Void>> jobs = new ArrayList<>();
    private final RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(5));

    private HeldRunner(ModelRunner runner) throws InterruptedException {
        CountDownLatch holding = new CountDownLatch(runner.concurrency());
        for (int i = 0; i < runner.concurrency(); i++) {
            CompletableFuture<Void> job = new CompletableFuture<>();
            // own threads: the common pool may have a single thread on a small host
            Thread t = new Thread(() -> {
                try {
                    runner.inSlot((s, o) -> {
                        holding.countDown();
                        try {
                            return release.await(5, TimeUnit.MINUTES);
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }, scope);
                    job.complete(null);
                } catch (InterruptedException | RuntimeException e) {
                    job.completeExceptionally(e);
                }
            }, "held-runner");
            t.setDaemon(true);
            t.start();
            jobs.add(job);
        }
        assertThat(holding.await(30, TimeUnit.SECONDS)).as("the runner's slots held").isTrue();
    }

    /** Returns once every slot of {@code runner} is held. */
    public static HeldRunner hold(ModelRunner runner) throws InterruptedException {
        return new HeldRunner(runner);
    }

    /** Lets the runner go and waits for the holding jobs to end. */
    @Override
    public void close() throws Exception {
        release.countDown();
        for (CompletableFuture<Void> job : jobs) {
            job.get(30, TimeUnit.SECONDS);
        }
        scope.close();
    }
}
