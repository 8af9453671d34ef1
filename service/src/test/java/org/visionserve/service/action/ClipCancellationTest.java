package org.visionserve.service.action;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.visionserve.service.runtime.RequestCancelledException;
import org.visionserve.service.runtime.RequestScope;

/**
 * A request's scope reaches the clip pipeline's pool: once it ends, no further frame pair (or tensor
 * task) of the request starts, those in progress finish, and the request's call returns; nothing of it
 * runs afterwards. Each pool has one thread, so what ran is exactly known.
 */
class ClipCancellationTest {

    private static final int W = 160;
    private static final int H = 120;

    /** One thread; after its {@code after}-th task the scope is cancelled, as the watchdog would. */
    private static ThreadPoolExecutor cancellingAfter(int after, AtomicReference<RequestScope> scope) {
        AtomicInteger done = new AtomicInteger();
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>()) {
            @Override
            protected void afterExecute(Runnable r, Throwable t) {
                if (done.incrementAndGet() == after) {
                    scope.get().cancel(RequestScope.Reason.CLIENT_GONE);
                }
            }
        };
    }

    private static DecodedClip clip(int frames) {
        return new DecodedClip(W, H, TestClips.frames(W, H, frames, 3, 2), 25, "test");
    }

    @Test
    void cancellingTheScopeDuringFlowStopsTheFlowWorkers() throws InterruptedException {
        AtomicReference<RequestScope> scope = new AtomicReference<>();
        ThreadPoolExecutor pool = cancellingAfter(3, scope);
        OpticalFlow flow = new OpticalFlow(pool);
        int[] pairs = new int[40];
        for (int i = 0; i < pairs.length; i++) {
            pairs[i] = i;
        }
        try (RequestScope s = RequestScope.withTimeout(Duration.ofMinutes(10))) {
            scope.set(s);
            var e = assertThrows(RequestCancelledException.class,
                    () -> flow.compute(clip(41), pairs, FlowMethod.TVL1, s));
            assertEquals(RequestScope.Reason.CLIENT_GONE, e.reason());
        } finally {
            pool.shutdown();
            assertTrue(pool.awaitTermination(5, TimeUnit.MINUTES), "the pool drains");
        }
        // the three pairs before the cancellation, none of the 37 queued behind them, even once the
        // pool has drained its queue
        assertEquals(3, flow.pairsComputed());
        assertEquals(40, pool.getCompletedTaskCount(), "every queued task was taken and dropped");
    }

    @Test
    void queuedPairsOfAnEndedRequestNeverRun() throws InterruptedException {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        OpticalFlow flow = new OpticalFlow(pool);
        CountDownLatch release = new CountDownLatch(1);
        pool.submit(() -> {
            release.await(); // another request's long step holds the only thread
            return null;
        });
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try (RequestScope s = RequestScope.withTimeout(Duration.ofMinutes(10))) {
            Thread request = new Thread(() -> {
                try {
                    flow.compute(clip(12), new int[] {0, 1, 2, 3, 4}, FlowMethod.FARNEBACK, s);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            request.start();
            while (pool.getQueue().size() < 5) {
                Thread.sleep(10); // its five pairs are queued behind the held thread
            }
            s.cancel(RequestScope.Reason.DEADLINE);
            request.join();
        } finally {
            release.countDown();
            pool.shutdown();
            assertTrue(pool.awaitTermination(1, TimeUnit.MINUTES));
        }
        assertTrue(thrown.get() instanceof RequestCancelledException c && c.reason() == RequestScope.Reason.DEADLINE,
                String.valueOf(thrown.get()));
        assertEquals(0, flow.pairsComputed());
    }

    @Test
    void tensorTasksStopWithTheScope() throws InterruptedException {
        AtomicReference<RequestScope> scope = new AtomicReference<>();
        ThreadPoolExecutor pool = cancellingAfter(2, scope);
        FrameSampling sampling = FrameSampling.of(60);
        FloatBuffer out = ClipTensors.direct(PreparedClip.RGB_FLOATS);
        List<byte[]> frames = new ArrayList<>();
        for (int t = 0; t < 60; t++) {
            byte[] f = new byte[W * H * 3];
            java.util.Arrays.fill(f, (byte) 200);
            frames.add(f);
        }
        try (RequestScope s = RequestScope.withTimeout(Duration.ofMinutes(10))) {
            scope.set(s);
            assertThrows(RequestCancelledException.class, () -> ClipTensors.rgb(
                    new DecodedClip(W, H, frames, 25, "test"), sampling, StreamNormalization.UCF101, pool, out, s));
        } finally {
            pool.shutdown();
            assertTrue(pool.awaitTermination(1, TimeUnit.MINUTES));
        }
        // two points' planes were written, the 23 others never started (their planes are still zero)
        int written = 0;
        for (int i = 0; i < FrameSampling.POINTS; i++) {
            if (out.get(i * 3 * ClipTensors.PLANE) != 0) {
                written++;
            }
        }
        assertEquals(2, written);
    }
}
