package org.visionserve.service.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import org.visionserve.service.config.OperationsProperties;
import org.visionserve.service.metrics.ServiceMetrics;
import org.visionserve.service.pipeline.InvalidParameterException;
import org.visionserve.service.runtime.Admission;
import tools.jackson.databind.json.JsonMapper;

/** Operations on the memory store: acceptance, refusals before it, progress order, and the retention bounds. */
class OperationsTest {

    private Operations operations;

    private Operations operations(int maxCount, DataSize maxBytes) {
        operations = new Operations(new MemoryOperationStore(), new OperationsProperties(OperationsProperties.Store.MEMORY,
                Duration.ofHours(1), maxCount, maxBytes, null, new OperationsProperties.Redis("redis://unused:1", "p:")),
                new ServiceMetrics(new SimpleMeterRegistry()));
        return operations;
    }

    @AfterEach
    void close() {
        if (operations != null) {
            operations.destroy();
        }
    }

    /** Work admitted at once that answers {@code bytes} characters of JSON. */
    private static Operations.Work answering(int chars) {
        return scope -> {
            scope.progress(Admission.QUEUE_STAGE, 0, 1);
            scope.progress(Admission.QUEUE_STAGE, 1, 1);
            return new Operations.Result(Map.of("x", "y".repeat(chars)), List.of());
        };
    }

    private String finished(Operations ops, Operations.Work work) throws Exception {
        String id = ops.submit("segment", "m", null, Duration.ofMinutes(1), List.of(), work, e -> null).id();
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ops.find(id, null).map(o -> !o.finished()).orElse(false) || ops.threadOf(id).isPresent()) {
            assertThat(System.nanoTime()).isLessThan(end);
            Thread.sleep(5);
        }
        return id;
    }

    @Test
    void theOldestFinishedGoBeyondTheCount() throws Exception {
        Operations ops = operations(2, DataSize.ofMegabytes(1));
        String a = finished(ops, answering(10));
        String b = finished(ops, answering(10));
        String c = finished(ops, answering(10));
        assertThat(ops.list(null).stream().map(OperationState::id)).containsExactly(b, c);
        assertThat(ops.find(a, null)).isEmpty();
        assertThat(ops.result(c)).hasValueSatisfying(json ->
                assertThat(JsonMapper.builder().build().readTree(json).get("x").asString()).hasSize(10));
    }

    @Test
    void theOldestFinishedGoBeyondTheSize() throws Exception {
        Operations ops = operations(100, DataSize.ofBytes(2500));
        String a = finished(ops, answering(1000));
        String b = finished(ops, answering(1000));
        String c = finished(ops, answering(1000));
        assertThat(ops.list(null).stream().map(OperationState::id)).containsExactly(b, c);
        assertThat(ops.find(a, null)).isEmpty();
    }

    @Test
    void aRefusalBeforeAcceptanceIsThrownToTheSubmitter() {
        Operations ops = operations(10, DataSize.ofMegabytes(1));
        assertThatThrownBy(() -> ops.submit("recognize", "m", null, Duration.ofMinutes(1), List.of(), scope -> {
            throw new InvalidParameterException("flow", "bad flow");
        }, e -> null)).isInstanceOf(InvalidParameterException.class);
        assertThat(ops.list(null)).isEmpty();
        assertThat(ops.runningHere()).isZero();
    }

    private static final List<Operations.Span> SPANS = List.of(new Operations.Span("flow", 0, 0.7),
            new Operations.Span("frames", 0.7, 0.9), new Operations.Span("windows", 0.9, 1.0));

    @Test
    void progressIsOrderedAndOwnersSeeTheirOwn() throws Exception {
        Operations ops = operations(10, DataSize.ofMegabytes(1));
        CountDownLatch reported = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        OperationState s = ops.submit("recognize", "m", "alice", Duration.ofMinutes(1), SPANS, scope -> {
            scope.progress(Admission.QUEUE_STAGE, 0, 1);
            scope.progress(Admission.QUEUE_STAGE, 1, 1);
            scope.progress("flow", 5, 10);
            scope.progress("flow", 4, 10); // overtaken by the report of 5 (another pool thread)
            reported.countDown();
            release.await();
            return new Operations.Result(Map.of(), List.of());
        }, e -> null);
        reported.await();
        OperationState running = ops.find(s.id(), null).orElseThrow();
        assertThat(running.status()).isEqualTo(OperationState.RUNNING);
        assertThat(running.progress().stage()).isEqualTo("flow");
        assertThat(running.progress().completed()).isEqualTo(5);
        assertThat(running.progress().fraction()).isEqualTo(0.35, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(ops.find(s.id(), "bob")).isEmpty();
        assertThat(ops.list("bob")).isEmpty();
        assertThat(ops.list("alice")).hasSize(1);
        release.countDown();
    }

    /** A timeline: once the windows began, their inner flow pairs and frames do not take the stage back. */
    @Test
    void theStageShownOnlyMovesForward() throws Exception {
        Operations ops = operations(10, DataSize.ofMegabytes(1));
        CountDownLatch reported = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        OperationState s = ops.submit("recognize", "m", null, Duration.ofMinutes(1), SPANS, scope -> {
            scope.progress(Admission.QUEUE_STAGE, 0, 1);
            scope.progress(Admission.QUEUE_STAGE, 1, 1);
            scope.progress("flow", 10, 10);
            scope.progress("frames", 50, 50);
            scope.progress("windows", 1, 3);
            scope.progress("flow", 2, 5); // the second window's own pairs
            scope.progress("frames", 10, 50);
            reported.countDown();
            release.await();
            return new Operations.Result(Map.of(), List.of());
        }, e -> null);
        reported.await();
        OperationState.Progress p = ops.find(s.id(), null).orElseThrow().progress();
        assertThat(p.stage()).isEqualTo("windows");
        assertThat(p.completed()).isEqualTo(1);
        assertThat(p.fraction()).isEqualTo(0.9 + 0.1 / 3, org.assertj.core.data.Offset.offset(1e-9));
        release.countDown();
    }

    @Test
    void aCancelledOperationEndsCancelled() throws Exception {
        Operations ops = operations(10, DataSize.ofMegabytes(1));
        OperationState s = ops.submit("segment", "m", null, Duration.ofMinutes(1), List.of(), scope -> {
            scope.progress(Admission.QUEUE_STAGE, 0, 1);
            scope.await(nanos -> false); // waits until the scope ends
            return null;
        }, e -> JsonMapper.builder().build().valueToTree(Map.of("code", "cancelled")));
        Thread worker = ops.threadOf(s.id()).orElseThrow();
        ops.cancel(s.id());
        worker.join(5_000);
        assertThat(worker.isAlive()).isFalse();
        OperationState end = ops.find(s.id(), null).orElseThrow();
        assertThat(end.status()).isEqualTo(OperationState.CANCELLED);
        assertThat(end.error().get("code").asString()).isEqualTo("cancelled");
    }
}
