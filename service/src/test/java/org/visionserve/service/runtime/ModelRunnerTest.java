package org.visionserve.service.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.visionserve.export.ModelExporter;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.SeededWeights;
import org.visionserve.service.TestModels;

/** The runner on real ONNX Runtime sessions: named inputs and outputs, failures, and a request's end. */
class ModelRunnerTest {

    @TempDir
    static Path dir;

    @Test
    void namedInputsGiveNamedOutputsEqualToInfer() throws Exception {
        try (ModelRunner runner = new ModelRunner("atto", atto(), 1);
             RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(2))) {
            FloatBuffer input = direct(3 * 224 * 224, 0.25f);
            long[] shape = {1, 3, 224, 224};
            ModelRunner.Timed<Map<String, ModelRunner.Output>> named = runner.run(
                    Map.of("input", new ModelRunner.Input(input, shape)), Set.of(), scope);
            ModelRunner.Timed<ModelRunner.Output> single = runner.infer(input, shape, scope);
            assertThat(named.value()).containsOnlyKeys("logits");
            assertThat(named.value().get("logits").shape()).containsExactly(1, 1000);
            assertThat(named.value().get("logits").values()).containsExactly(single.value().values());
            assertThat(single.runNanos()).isPositive();
        }
    }

    @Test
    void aFailingRunIsAnInferenceErrorAndFreesItsSlot() throws Exception {
        try (ModelRunner runner = new ModelRunner("atto", atto(), 1);
             RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(2))) {
            FloatBuffer wrong = direct(3 * 8 * 8, 0);
            for (int i = 0; i < 3; i++) { // the slot is given back each time, else the 2nd call would wait forever
                assertThatThrownBy(() -> runner.infer(wrong, new long[] {1, 3, 8, 9}, scope))
                        .isInstanceOf(InferenceException.class);
            }
        }
    }

    /** A request whose deadline passes while it waits for the model's only slot stops waiting: 504's cause. */
    @Test
    void theDeadlineEndsTheWaitForASlot() throws Exception {
        try (ModelRunner runner = new ModelRunner("atto", atto(), 1);
             RequestScope holder = RequestScope.withTimeout(Duration.ofMinutes(2));
             RequestScope late = RequestScope.withTimeout(Duration.ofMillis(300))) {
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Object> job = CompletableFuture.supplyAsync(() -> {
                try {
                    return runner.submit((s, o) -> {
                        holding.countDown();
                        try {
                            return release.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }, holder);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> runner.infer(direct(3 * 224 * 224, 0), new long[] {1, 3, 224, 224}, late))
                    .isInstanceOfSatisfying(RequestCancelledException.class,
                            e -> assertThat(e.reason()).isEqualTo(RequestScope.Reason.DEADLINE));
            release.countDown();
            job.get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * A run in progress whose request is cancelled is terminated through ONNX Runtime's run options:
     * the caller gets the cancellation, not an inference error, and the slot is free for the next run.
     * (16 IVD-Net slices of 256x256 run for several seconds on CPU; the cancel comes within
     * milliseconds of the run's start, so a run that was not terminated would answer, failing the test.)
     */
    @Test
    void cancellingTerminatesTheRunInProgress() throws Exception {
        try (SeededWeights w = new SeededWeights(0)) {
            ModelExporter.export(ModelRegistry.get(TestModels.IVD), w, dir, (k, n) -> { });
        }
        OrtSession ivd = OrtEnvironment.getEnvironment().createSession(
                dir.resolve(TestModels.IVD).resolve("model.onnx").toString(), new OrtSession.SessionOptions());
        try (ModelRunner runner = new ModelRunner("ivd", ivd, 1);
             RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(2));
             RequestScope next = RequestScope.withTimeout(Duration.ofMinutes(2))) {
            int n = 16;
            FloatBuffer big = direct(n * 4 * 256 * 256, 0.5f);
            CompletableFuture<Object> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return runner.infer(big, new long[] {n, 4, 256, 256}, scope);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (runner.queueDepth() > 0 || !started(runner)) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(1);
            }
            scope.cancel(RequestScope.Reason.CLIENT_GONE);
            assertThat(run).failsWithin(30, TimeUnit.SECONDS).withThrowableThat()
                    .withCauseInstanceOf(RequestCancelledException.class);
            assertThat(runner.infer(direct(4 * 32 * 32, 0), new long[] {1, 4, 32, 32}, next).value().shape())
                    .containsExactly(1, 2, 32, 32);
        }
    }

    /**
     * With a lone-request session, a request that finds the model idle runs there; one that finds a
     * slot taken runs in a slot of the main session, with or without batching. The two sessions hold
     * different weights here, so each answer tells which one ran it.
     */
    @Test
    void anIdleModelsRequestRunsOnTheLoneRequestSessionOthersInSlots() throws Exception {
        Path other = dir.resolve("seed1");
        try (SeededWeights w = new SeededWeights(1)) {
            ModelExporter.export(ModelRegistry.get(TestModels.ATTO), w, other, (k, n) -> { });
        }
        FloatBuffer input = direct(3 * 224 * 224, 0.25f);
        long[] shape = {1, 3, 224, 224};
        float[] slotAnswer;
        float[] loneAnswer;
        try (ModelRunner main = new ModelRunner("atto", atto(), 1);
             ModelRunner alt = new ModelRunner("atto", session(other), 1);
             RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(2))) {
            slotAnswer = main.infer(input, shape, scope).value().values();
            loneAnswer = alt.infer(input, shape, scope).value().values();
        }
        assertThat(loneAnswer).isNotEqualTo(slotAnswer);
        for (ModelRunner.Batching batching : new ModelRunner.Batching[] {ModelRunner.Batching.OFF,
                new ModelRunner.Batching(8, 2000, java.util.List.of())}) {
            try (ModelRunner runner = new ModelRunner("atto", atto(), session(other), 2, batching, n -> { });
                 RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(2))) {
                assertThat(runner.hasLoneRequestSession()).isTrue();
                assertThat(runner.infer(input, shape, scope).value().values()).as("idle").containsExactly(loneAnswer);
                CountDownLatch holding = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                CompletableFuture<Object> held = CompletableFuture.supplyAsync(() -> {
                    try {
                        return runner.inSlot((s, o) -> {
                            holding.countDown();
                            try {
                                return release.await(30, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                        }, scope);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
                assertThat(runner.infer(input, shape, scope).value().values()).as("one slot taken")
                        .containsExactly(slotAnswer);
                release.countDown();
                held.get(30, TimeUnit.SECONDS);
                assertThat(runner.infer(input, shape, scope).value().values()).as("idle again")
                        .containsExactly(loneAnswer);
            }
        }
    }

    /** The run holds the only slot once no request waits for one and a slot is taken. */
    private static boolean started(ModelRunner runner) {
        return runner.runsInProgress() > 0;
    }

    private static OrtSession atto() throws Exception {
        TestModels.exportAtto(dir);
        return session(dir);
    }

    private static OrtSession session(Path repository) throws Exception {
        return OrtEnvironment.getEnvironment().createSession(
                repository.resolve(TestModels.ATTO).resolve("model.onnx").toString(), new OrtSession.SessionOptions());
    }

    private static FloatBuffer direct(int floats, float value) {
        FloatBuffer b = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < floats; i++) {
            b.put(i, value);
        }
        return b;
    }
}
