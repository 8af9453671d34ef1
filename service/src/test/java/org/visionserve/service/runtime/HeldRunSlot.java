package org.visionserve.service.runtime;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One of a model runner's run slots held by a test, as a long run would hold it, until closed: requests
 * for the model then wait at the runner, admitted, for as long as the test needs them there.
 */
public final class HeldRunSlot implements AutoCloseable {

    private final CountDownLatch release = new CountDownLatch(1);
    private final CompletableFuture<Void> job;

    /** Returns once the slot is held. */
    public HeldRunSlot(ModelRunner runner) throws InterruptedException {
        CountDownLatch holding = new CountDownLatch(1);
        job = CompletableFuture.runAsync(() -> {
            try (RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(5))) {
                runner.submit((session, options) -> {
                    holding.countDown();
                    try {
                        return release.await(5, TimeUnit.MINUTES);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }, scope);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        if (!holding.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the run slot was not taken within 30 s");
        }
    }

    @Override
    public void close() throws Exception {
        release.countDown();
        job.get(30, TimeUnit.SECONDS);
    }
}
