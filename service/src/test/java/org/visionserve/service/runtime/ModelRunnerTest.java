package org.visionserve.service.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.visionserve.service.TestModels;

/** The runner's admission: concurrency running, queueCapacity waiting, the rest refused at once. */
class ModelRunnerTest {

    @TempDir
    static Path dir;

    @Test
    void boundedQueueRefusesBeyondCapacityAndServesAfterwards() throws Exception {
        TestModels.exportAtto(dir);
        OrtSession session = OrtEnvironment.getEnvironment()
                .createSession(dir.resolve(TestModels.ATTO).resolve("model.onnx").toString(), new OrtSession.SessionOptions());
        try (ModelRunner runner = new ModelRunner("atto", session, 1, 2)) {
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            List<CompletableFuture<?>> held = new ArrayList<>();
            held.add(CompletableFuture.runAsync(() -> call(runner, () -> {
                running.countDown();
                await(release);
            })));
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 2; i++) {
                held.add(CompletableFuture.runAsync(() -> call(runner, () -> { })));
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (runner.queueDepth() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(runner.queueDepth()).isEqualTo(2);
            assertThatThrownBy(() -> runner.submit(s -> null)).isInstanceOf(ModelBusyException.class);

            release.countDown();
            CompletableFuture.allOf(held.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            assertThat(runner.queueDepth()).isZero();

            FloatBuffer input = ByteBuffer.allocateDirect(3 * 224 * 224 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            ModelRunner.Timed<ModelRunner.Output> out = runner.infer(input, new long[] {1, 3, 224, 224});
            assertThat(out.value().shape()).containsExactly(1, 1000);
            assertThat(out.runNanos()).isPositive();
        }
    }

    @Test
    void aFailingJobIsAnInferenceErrorAndFreesItsPlace() throws Exception {
        TestModels.exportAtto(dir);
        OrtSession session = OrtEnvironment.getEnvironment()
                .createSession(dir.resolve(TestModels.ATTO).resolve("model.onnx").toString(), new OrtSession.SessionOptions());
        try (ModelRunner runner = new ModelRunner("atto", session, 1, 0)) {
            FloatBuffer wrong = ByteBuffer.allocateDirect(3 * 8 * 8 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            for (int i = 0; i < 3; i++) { // the place is given back each time, else the 2nd call is refused
                assertThatThrownBy(() -> runner.infer(wrong, new long[] {1, 3, 8, 9}))
                        .isInstanceOf(InferenceException.class);
            }
        }
    }

    private static void call(ModelRunner runner, Runnable body) {
        try {
            runner.submit(s -> {
                body.run();
                return null;
            });
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
