package org.visionserve.service.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one admission mechanism: memory budget, pool places, bounded queues, deadlines, arrival order. */
class AdmissionTest {

    private static final long MIB = 1 << 20;

    private final RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(1));

    @AfterEach
    void close() {
        scope.close();
    }

    @Test
    void aRequestCostingMoreThanTheWholeBudgetIsRefusedBeforeItWaits() {
        Admission a = new Admission(100 * MIB);
        a.define("m", new Admission.Limits(4, 4, "key"));
        assertThatThrownBy(() -> a.admit("m", 101 * MIB, scope)).isInstanceOfSatisfying(CostOverBudgetException.class,
                e -> assertThat(e.getMessage()).contains(Admission.MEMORY_BUDGET_KEY).contains("100 MiB"));
        assertThat(a.reservedBytes()).isZero();
    }

    @Test
    void memoryIsReservedUntilTheTicketIsClosedAndTheNextWaiterIsThenAdmitted() throws Exception {
        Admission a = new Admission(100 * MIB);
        a.define("m", new Admission.Limits(8, 8, "key"));
        Admission.Ticket first = a.admit("m", 60 * MIB, scope);
        assertThat(a.reservedBytes()).isEqualTo(60 * MIB);
        CompletableFuture<Admission.Ticket> second = CompletableFuture.supplyAsync(() -> admit(a, "m", 60 * MIB, scope));
        awaitWaiting(a, "m", 1);
        assertThat(second).isNotDone();
        first.close();
        Admission.Ticket t = second.get(10, TimeUnit.SECONDS);
        assertThat(a.reservedBytes()).isEqualTo(60 * MIB);
        t.close();
        assertThat(a.reservedBytes()).isZero();
    }

    @Test
    void aFullQueueIsRefusedAtOnceWithARetryAfter() throws Exception {
        Admission a = new Admission(100 * MIB);
        a.define("m", new Admission.Limits(1, 1, "the-key"));
        Admission.Ticket running = a.admit("m", 1, scope);
        CompletableFuture<Admission.Ticket> queued = CompletableFuture.supplyAsync(() -> admit(a, "m", 1, scope));
        awaitWaiting(a, "m", 1);
        assertThatThrownBy(() -> a.admit("m", 1, scope)).isInstanceOfSatisfying(OverloadedException.class, e -> {
            assertThat(e.retryAfterSeconds()).isBetween(1L, 300L);
            assertThat(e.getMessage()).contains("the-key");
        });
        running.close();
        queued.get(10, TimeUnit.SECONDS).close();
    }

    @Test
    void aWaiterWhoseDeadlinePassesLeavesTheQueue() throws Exception {
        Admission a = new Admission(100 * MIB);
        a.define("m", new Admission.Limits(1, 4, "key"));
        try (Admission.Ticket running = a.admit("m", 1, scope);
             RequestScope shortOne = RequestScope.withTimeout(Duration.ofMillis(200))) {
            assertThatThrownBy(() -> a.admit("m", 1, shortOne)).isInstanceOfSatisfying(
                    RequestCancelledException.class, e -> assertThat(e.reason()).isEqualTo(RequestScope.Reason.DEADLINE));
            assertThat(a.waiting("m")).isZero();
        }
        assertThat(a.active("m")).isZero();
    }

    @Test
    void aCancelledWaiterLeavesTheQueue() throws Exception {
        Admission a = new Admission(100 * MIB);
        a.define("m", new Admission.Limits(1, 4, "key"));
        try (Admission.Ticket running = a.admit("m", 1, scope);
             RequestScope gone = RequestScope.withTimeout(Duration.ofMinutes(1))) {
            CompletableFuture<Admission.Ticket> waiter = CompletableFuture.supplyAsync(() -> admit(a, "m", 1, gone));
            awaitWaiting(a, "m", 1);
            gone.cancel(RequestScope.Reason.CLIENT_GONE);
            assertThat(waiter).failsWithin(10, TimeUnit.SECONDS).withThrowableThat()
                    .withCauseInstanceOf(RequestCancelledException.class);
            assertThat(a.waiting("m")).isZero();
        }
    }

    /** Memory goes in arrival order: a small request does not overtake a large one waiting for memory. */
    @Test
    void aSmallRequestDoesNotOvertakeALargeOneWaitingForMemory() throws Exception {
        Admission a = new Admission(100 * MIB);
        a.define("m", new Admission.Limits(8, 8, "key"));
        Admission.Ticket held = a.admit("m", 50 * MIB, scope);
        CompletableFuture<Admission.Ticket> large = CompletableFuture.supplyAsync(() -> admit(a, "m", 80 * MIB, scope));
        awaitWaiting(a, "m", 1);
        CompletableFuture<Admission.Ticket> small = CompletableFuture.supplyAsync(() -> admit(a, "m", 10 * MIB, scope));
        awaitWaiting(a, "m", 2);
        assertThat(large).isNotDone();
        assertThat(small).isNotDone(); // 10 MiB would fit, but the large request came first
        held.close();
        large.get(10, TimeUnit.SECONDS).close();
        small.get(10, TimeUnit.SECONDS).close();
    }

    /** A pool at its place limit does not hold up another pool's requests. */
    @Test
    void poolsWaitOnlyForTheirOwnPlaces() throws Exception {
        Admission a = new Admission(100 * MIB);
        a.define("clips", new Admission.Limits(1, 4, "key"));
        a.define("images", new Admission.Limits(4, 4, "key"));
        Admission.Ticket clip = a.admit("clips", 10 * MIB, scope);
        CompletableFuture<Admission.Ticket> nextClip = CompletableFuture.supplyAsync(() -> admit(a, "clips", 10 * MIB, scope));
        awaitWaiting(a, "clips", 1);
        try (Admission.Ticket image = a.admit("images", 10 * MIB, scope)) {
            assertThat(a.active("images")).isEqualTo(1);
        }
        clip.close();
        nextClip.get(10, TimeUnit.SECONDS).close();
    }

    /** A model called like a pipeline ("clips") has a pool of its own, apart from the pipeline's. */
    @Test
    void modelPoolsAndPipelinePoolsNeverShareAName() throws Exception {
        Admission a = new Admission(100 * MIB);
        String pipeline = Admission.PIPELINE_PREFIX + "clips";
        a.define(pipeline, new Admission.Limits(1, 0, "visionserve.action.concurrency"));
        a.define("clips", new Admission.Limits(2, 0, "visionserve.models.settings.clips.concurrency"));
        assertThat(pipeline).isEqualTo("pipeline/clips");
        try (Admission.Ticket clip = a.admit(pipeline, MIB, scope);
             Admission.Ticket model = a.admit("clips", MIB, scope);
             Admission.Ticket model2 = a.admit("clips", MIB, scope)) {
            assertThat(a.active(pipeline)).isEqualTo(1);
            assertThat(a.active("clips")).isEqualTo(2);
            assertThatThrownBy(() -> a.admit(pipeline, MIB, scope)).isInstanceOf(OverloadedException.class)
                    .hasMessageContaining("visionserve.action.concurrency");
        }
    }

    /** CPU slots: the next request waits for a free one, and a waiter whose deadline passes gives up. */
    @Test
    void cpuSlotsAreBoundedAndAWaiterStopsAtItsDeadline() throws Exception {
        Admission a = new Admission(100 * MIB, 1);
        Admission.CpuSlot held = a.cpu(scope);
        try (RequestScope shortOne = RequestScope.withTimeout(Duration.ofMillis(200))) {
            assertThatThrownBy(() -> a.cpu(shortOne)).isInstanceOfSatisfying(RequestCancelledException.class,
                    e -> assertThat(e.reason()).isEqualTo(RequestScope.Reason.DEADLINE));
        }
        CompletableFuture<Admission.CpuSlot> next = CompletableFuture.supplyAsync(() -> {
            try {
                return a.cpu(scope);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        assertThat(next).isNotDone();
        held.close();
        next.get(10, TimeUnit.SECONDS).close();
    }

    private static Admission.Ticket admit(Admission a, String pool, long bytes, RequestScope scope) {
        try {
            return a.admit(pool, bytes, scope);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitWaiting(Admission a, String pool, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (a.waiting(pool) < n) {
            assertThat(System.nanoTime()).as("%d waiting in %s", n, pool).isLessThan(deadline);
            Thread.sleep(1);
        }
    }
}
