package org.visionserve.service.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.visionserve.export.ModelExporter;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.SeededWeights;
import org.visionserve.service.TestModels;

/**
 * Dynamic batching on real exported models: concurrent requests share runs, each answer equals the
 * one the request gets alone, and only requests of the same item shape are batched together. The
 * model is held busy by a job while the requests queue, so what forms a batch is certain, not timing.
 */
class BatcherTest {

    private static final RequestScope SCOPE = RequestScope.withTimeout(Duration.ofMinutes(5));

    @TempDir
    static Path dir;

    @Test
    void concurrentRequestsShareOneRunAndGetTheirOwnAnswers() throws Exception {
        TestModels.exportAtto(dir);
        List<Integer> runs = new CopyOnWriteArrayList<>();
        try (ModelRunner runner = new ModelRunner("atto", session(TestModels.ATTO), 1,
                     new ModelRunner.Batching(8, 100_000, List.of()), runs::add)) {
            int n = 6;
            long[] one = {1, 3, 224, 224};
            List<FloatBuffer> inputs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                inputs.add(random(3 * 224 * 224, i));
            }
            List<float[]> alone = new ArrayList<>();
            for (FloatBuffer in : inputs) {
                alone.add(runner.infer(in, one, SCOPE).value().values());
            }
            assertThat(runs).as("each request alone is a run of 1").containsExactly(1, 1, 1, 1, 1, 1);
            runs.clear();

            List<CompletableFuture<ModelRunner.Timed<ModelRunner.Output>>> answers = holdingTheModel(runner, n, () -> {
                List<CompletableFuture<ModelRunner.Timed<ModelRunner.Output>>> list = new ArrayList<>();
                for (FloatBuffer in : inputs) {
                    list.add(CompletableFuture.supplyAsync(() -> infer(runner, in, one)));
                }
                return list;
            });

            for (int i = 0; i < n; i++) {
                ModelRunner.Timed<ModelRunner.Output> t = answers.get(i).get(30, TimeUnit.SECONDS);
                assertThat(t.value().shape()).containsExactly(1, 1000);
                float[] got = t.value().values();
                for (int j = 0; j < got.length; j++) {
                    assertThat(Math.abs(got[j] - alone.get(i)[j])).as("request %d logit %d", i, j).isLessThanOrEqualTo(1e-5f);
                }
                assertThat(t.queueNanos()).isPositive();
            }
            assertThat(runs).as("six queued requests, one run").containsExactly(6);
            assertThat(runner.queueDepth()).isZero();
        }
    }

    @Test
    void onlyRequestsOfTheSameItemShapeShareARun() throws Exception {
        exportIvd();
        List<Integer> runs = new CopyOnWriteArrayList<>();
        try (ModelRunner runner = new ModelRunner("ivd", session(TestModels.IVD), 1,
                     new ModelRunner.Batching(3, 100_000, List.of()), runs::add)) {
            long[] small = {1, 4, 32, 32};
            long[] large = {1, 4, 64, 64};
            List<CompletableFuture<ModelRunner.Timed<ModelRunner.Output>>> answers = holdingTheModel(runner, 3, () -> {
                List<CompletableFuture<ModelRunner.Timed<ModelRunner.Output>>> list = new ArrayList<>();
                list.add(CompletableFuture.supplyAsync(() -> infer(runner, random(4 * 32 * 32, 1), small)));
                awaitDepth(runner, 1);
                list.add(CompletableFuture.supplyAsync(() -> infer(runner, random(4 * 64 * 64, 2), large)));
                awaitDepth(runner, 2);
                list.add(CompletableFuture.supplyAsync(() -> infer(runner, random(4 * 32 * 32, 3), small)));
                return list;
            });
            for (var a : answers) {
                a.get(30, TimeUnit.SECONDS);
            }
            // The 64x64 slice is passed over: the two 32x32 ones share a run, then it runs.
            assertThat(runs).containsExactly(2, 1);
            assertThat(answers.get(1).get().value().shape()).containsExactly(1, 2, 64, 64);

        }
    }

    /**
     * Issue 12, batches by items: a request of more items than a batch holds is spread over runs, and
     * the room its last part leaves goes to the next request of its shape, passing over one of another
     * shape (which runs after). 5 + 3 slices of 32x32 and 2 of 64x64 at batch 4 take 3 runs, not the 4
     * they take alone; every request gets its own answer, named outputs included.
     */
    @Test
    void largeRequestsAreSpreadOverRunsSharedWithOthersOfTheirShape() throws Exception {
        exportIvd();
        List<Integer> runs = new CopyOnWriteArrayList<>();
        OrtSession session = session(TestModels.IVD);
        String output = session.getOutputNames().iterator().next();
        try (ModelRunner runner = new ModelRunner("ivd", session, 1,
                     new ModelRunner.Batching(4, 100_000, List.of()), runs::add);
             ModelRunner unbatched = new ModelRunner("ivd", session(TestModels.IVD), 1)) {
            long[][] shapes = {{5, 4, 32, 32}, {2, 4, 64, 64}, {3, 4, 32, 32}};
            List<FloatBuffer> inputs = new ArrayList<>();
            List<float[]> alone = new ArrayList<>();
            for (int i = 0; i < shapes.length; i++) {
                inputs.add(random(Math.toIntExact(floats(shapes[i])), 10 + i));
                alone.add(unbatched.infer(inputs.get(i), shapes[i], SCOPE).value().values());
                runner.infer(inputs.get(i), shapes[i], SCOPE);
            }
            assertThat(runs).as("alone: 5 in equal pieces 3 + 2, then 2, 3").containsExactly(3, 2, 2, 3);
            runs.clear();

            List<CompletableFuture<ModelRunner.Timed<java.util.Map<String, ModelRunner.Output>>>> answers =
                    holdingTheModel(runner, 3, () -> {
                        List<CompletableFuture<ModelRunner.Timed<java.util.Map<String, ModelRunner.Output>>>> list =
                                new ArrayList<>();
                        for (int i = 0; i < shapes.length; i++) { // queued in this order
                            int r = i;
                            list.add(CompletableFuture.supplyAsync(() -> inferNamed(runner, inputs.get(r), shapes[r],
                                    java.util.Set.of(output))));
                            awaitDepth(runner, i + 1);
                        }
                        return list;
                    });
            for (int i = 0; i < shapes.length; i++) {
                ModelRunner.Output out = answers.get(i).get(30, TimeUnit.SECONDS).value().get(output);
                assertThat(out.shape()).containsExactly(shapes[i][0], 2, shapes[i][2], shapes[i][3]);
                assertClose(out.values(), alone.get(i), "request " + i);
            }
            assertThat(runs).as("5 = 3 + 2, the 3 filled with 1 of the other 32x32's 3, the 2 with its last 2; then "
                    + "the 64x64 pair").containsExactly(4, 4, 2);
            assertThat(runner.queueDepth()).isZero();
        }
    }

    /**
     * A request whose scope ends while it waits leaves the queue: its items are in no run, its caller
     * gets the cancellation at once, and the request queued behind it runs with its own answer.
     */
    @Test
    void aCancelledRequestsItemsLeaveTheBatch() throws Exception {
        exportIvd();
        List<Integer> runs = new CopyOnWriteArrayList<>();
        try (ModelRunner runner = new ModelRunner("ivd", session(TestModels.IVD), 1,
                     new ModelRunner.Batching(8, 100_000, List.of()), runs::add)) {
            long[] shape = {3, 4, 32, 32};
            FloatBuffer kept = random(Math.toIntExact(floats(shape)), 21);
            float[] alone = runner.infer(kept, shape, SCOPE).value().values();
            runs.clear();
            RequestScope gone = RequestScope.withTimeout(Duration.ofMinutes(5));
            CompletableFuture<ModelRunner.Timed<ModelRunner.Output>> cancelled;
            CompletableFuture<ModelRunner.Timed<ModelRunner.Output>> other;
            try (HeldRunner held = HeldRunner.hold(runner)) {
                cancelled = CompletableFuture.supplyAsync(() -> {
                    try {
                        return runner.infer(random(Math.toIntExact(floats(shape)), 22), shape, gone);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                awaitDepth(runner, 1);
                other = CompletableFuture.supplyAsync(() -> infer(runner, kept, shape));
                awaitDepth(runner, 2);
                gone.cancel(RequestScope.Reason.CLIENT_GONE);
                assertThat(cancelled).failsWithin(30, TimeUnit.SECONDS)
                        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                        .withCauseInstanceOf(RequestCancelledException.class);
            }
            assertClose(other.get(30, TimeUnit.SECONDS).value().values(), alone, "the request behind");
            assertThat(runs).as("only the live request's 3 slices ran").containsExactly(3);
            assertThat(runner.queueDepth()).isZero();
        }
    }

    @Test
    void closingAnswersTheQueuedRequestsWithBusy() throws Exception {
        TestModels.exportAtto(dir);
        ModelRunner runner = new ModelRunner("atto", session(TestModels.ATTO), 1,
                new ModelRunner.Batching(8, 100_000, List.of()), size -> { });
        HeldRunner held = HeldRunner.hold(runner);
        List<CompletableFuture<ModelRunner.Timed<ModelRunner.Output>>> queued = new ArrayList<>();
        for (int i = 0; i < 3; i++) { // the first waits for the slot in the collector, the others in the queue
            queued.add(CompletableFuture.supplyAsync(() -> infer(runner, random(3 * 224 * 224, 7), new long[] {1, 3, 224, 224})));
        }
        awaitDepth(runner, 3);
        CompletableFuture<Void> closing = CompletableFuture.runAsync(runner::close);
        for (var q : queued) {
            assertThat(q).failsWithin(30, TimeUnit.SECONDS).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withCauseInstanceOf(OverloadedException.class);
        }
        held.close();
        closing.get(30, TimeUnit.SECONDS);
    }

    /**
         * Holds the model's only run slot with a job, starts the requests, waits until all of them are
     * queued, then lets the model go: they are then all waiting when the batcher forms its batch.
     */
    private static <T> T holdingTheModel(ModelRunner runner, int requests, java.util.function.Supplier<T> start)
            throws Exception {
        try (HeldRunner held = HeldRunner.hold(runner)) {
            T started = start.get();
            awaitDepth(runner, requests);
            return started;
        }
    }

    private static void awaitDepth(ModelRunner runner, int depth) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (runner.queueDepth() < depth) {
            assertThat(System.nanoTime()).as("%d requests queued", depth).isLessThan(deadline);
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static ModelRunner.Timed<ModelRunner.Output> infer(ModelRunner runner, FloatBuffer in, long[] shape) {
        try {
            return runner.infer(in, shape, SCOPE);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void exportIvd() throws Exception {
        if (!java.nio.file.Files.isDirectory(dir.resolve(TestModels.IVD))) {
            try (SeededWeights w = new SeededWeights(0)) {
                ModelExporter.export(ModelRegistry.get(TestModels.IVD), w, dir, (k, n) -> { });
            }
        }
    }

    private static long floats(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    private static void assertClose(float[] got, float[] want, String what) {
        assertThat(got).as(what).hasSameSizeAs(want);
        for (int j = 0; j < got.length; j++) {
            assertThat(Math.abs(got[j] - want[j])).as("%s value %d", what, j).isLessThanOrEqualTo(1e-5f);
        }
    }

    private static ModelRunner.Timed<java.util.Map<String, ModelRunner.Output>> inferNamed(
            ModelRunner runner, FloatBuffer in, long[] shape, java.util.Set<String> outputs) {
        try {
            return runner.infer(in, shape, outputs, SCOPE);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static OrtSession session(String id) throws Exception {
        return OrtEnvironment.getEnvironment().createSession(dir.resolve(id).resolve("model.onnx").toString(),
                new OrtSession.SessionOptions());
    }

    private static FloatBuffer random(int floats, long seed) {
        FloatBuffer b = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        Random r = new Random(seed);
        for (int i = 0; i < floats; i++) {
            b.put(r.nextFloat() * 2 - 1);
        }
        return b.flip();
    }
}
