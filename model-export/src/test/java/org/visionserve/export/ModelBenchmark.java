package org.visionserve.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.models.ModelDef;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.SeededInit;
import org.visionserve.export.weights.SeededWeights;

/**
 * Measures, for each model, what {@code MODELS.md} reports: the seeded export time (build the graph
 * with seeded weights and write {@code model.onnx}), the file size, the parameter count, and the
 * ONNX Runtime CPU latency at batch 1 (median of the timed runs after warm-up, intra-op threads 2,
 * one session per model, as the service runs it). Prints one markdown row per model.
 *
 * <pre>
 *   mvn -q -pl model-export test-compile exec:java -Dexec.classpathScope=test \
 *       -Dexec.mainClass=org.visionserve.export.ModelBenchmark [-Dexec.args="--runs 10 --warmup 3 ID ..."]
 * </pre>
 * Without ids every registered model is measured, each on its declared input shapes with batch 1
 * (seeded input values). Latency depends on the machine's load: the 1-minute load average is printed.
 */
public final class ModelBenchmark {

    private ModelBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int runs = 10;
        int warmup = 3;
        int threads = 2;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> ids.add(args[i]);
            }
        }
        List<ModelDef> models = ids.isEmpty() ? List.copyOf(ModelRegistry.all())
                : ids.stream().map(ModelRegistry::get).toList();

        System.out.printf("# %s, %d cores, Java %s, ORT CPU intra-op threads %d, %d warm-up + %d timed runs, "
                        + "load average before: %s%n", System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), threads, warmup, runs,
                loadAverage());
        System.out.println("| model | input | parameters | export (seeded) s | model.onnx MB | ORT CPU b1 median ms "
                + "(min-max) | load avg |");
        System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        Path out = Files.createTempDirectory("model-benchmark");
        try {
            for (ModelDef def : models) {
                System.out.println(measure(def, out, runs, warmup, threads));
            }
        } finally {
            try (Stream<Path> files = Files.walk(out)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String measure(ModelDef def, Path out, int runs, int warmup, int threads) throws Exception {
        long t0 = System.nanoTime();
        ModelMetadata meta = ModelExporter.export(def, new SeededWeights(0), out, Graph.ProgressListener.NONE);
        double exportSecs = (System.nanoTime() - t0) / 1e9;
        Path model = out.resolve(def.id()).resolve(ModelExporter.MODEL_FILE);
        long bytes = Files.size(model);

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        double[] ms = new double[runs];
        String inputDesc;
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            try (OrtSession session = env.createSession(model.toString(), opts)) {
                Map<String, OnnxTensor> feeds = new java.util.HashMap<>();
                List<String> shapes = new ArrayList<>();
                try {
                    for (var spec : meta.inputs()) {
                        long[] shape = spec.shape().clone();
                        shape[0] = 1; // batch 1
                        if (meta.sliceInput() != null && shape.length == 4) { // dynamic H, W: the native slice
                            shape[2] = meta.sliceInput().nativeSize()[0];
                            shape[3] = meta.sliceInput().nativeSize()[1];
                        }
                        int n = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
                        feeds.put(spec.name(), OnnxTensor.createTensor(env,
                                FloatBuffer.wrap(SeededInit.input(spec.name(), n, 0)), shape));
                        shapes.add(Arrays.toString(shape));
                    }
                    for (int i = 0; i < warmup; i++) {
                        session.run(feeds).close();
                    }
                    for (int i = 0; i < runs; i++) {
                        long s = System.nanoTime();
                        session.run(feeds).close();
                        ms[i] = (System.nanoTime() - s) / 1e6;
                    }
                } finally {
                    feeds.values().forEach(OnnxTensor::close);
                }
                inputDesc = String.join(", ", shapes);
            }
        }
        Files.delete(model);
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = runs % 2 == 1 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
        return String.format("| %s | %s | %,d | %.1f | %.1f | %.0f (%.0f-%.0f) | %s |", def.id(), inputDesc,
                meta.parameterCount(), exportSecs, bytes / 1e6, median, sorted[0], sorted[runs - 1], loadAverage());
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
