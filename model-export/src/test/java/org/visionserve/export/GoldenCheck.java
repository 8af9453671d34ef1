package org.visionserve.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.SeededInit;
import org.visionserve.export.weights.SeededWeights;
import tools.jackson.databind.JsonNode;

/**
 * Reproduces a golden at full size: builds the model with seeded weights (seed 0), checks its
 * parameter list and count against the reference manifest, runs it on ONNX Runtime CPU on the
 * seeded input, and compares every output within 1e-3 x max(1, max|golden|), and the difference of
 * the two batch items within 1e-3 of that difference's own max. Errors are printed.
 * With {@code -Dgolden.trace=true} the per-stage trace is compared too, to find where a port diverges.
 */
public final class GoldenCheck {

    private GoldenCheck() {
    }

    public static void verify(String modelId) throws Exception {
        Golden golden = Golden.of(modelId);
        boolean trace = Boolean.getBoolean("golden.trace");
        long t0 = System.nanoTime();
        ModelExporter.Built built = ModelExporter.build(ModelRegistry.get(modelId), new SeededWeights(0),
                Graph.ProgressListener.NONE, trace);
        double buildSecs = (System.nanoTime() - t0) / 1e9;

        assertStateDict(modelId, built.graph().declaredKeys(), golden.stateDict());
        assertThat(built.graph().parameterCount()).as("%s parameter count", modelId).isEqualTo(golden.paramCount());

        Map<String, float[]> inputs = new LinkedHashMap<>();
        Map<String, long[]> shapes = new HashMap<>();
        for (JsonNode in : golden.manifest().get("inputs")) {
            String name = in.get("name").asString();
            long[] shape = longs(in.get("shape"));
            float[] values = SeededInit.input(name, Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b)), 0);
            for (int i = 0; i < 4; i++) {
                assertThat(values[i]).as("seeded input %s[%d]", name, i).isEqualTo(in.get("first4").get(i).floatValue());
            }
            inputs.put(name, values);
            shapes.put(name, shape);
        }
        long t1 = System.nanoTime();
        Map<String, float[]> outputs = OrtRunner.run(built.proto(), inputs, shapes);
        double runSecs = (System.nanoTime() - t1) / 1e9;

        StringBuilder report = new StringBuilder();
        report.append(String.format("GOLDEN %s: %,d parameters, build %.1f s, ORT load+run %.1f s%n",
                modelId, built.graph().parameterCount(), buildSecs, runSecs));
        Map<String, double[]> failures = new LinkedHashMap<>();
        for (JsonNode out : golden.manifest().get("outputs")) {
            String name = out.get("name").asString();
            float[] expected = golden.floats(out.get("file").asString());
            float[] actual = outputs.get(name);
            assertThat(actual).as("%s output %s", modelId, name).isNotNull().hasSize(expected.length);
            double[] e = compare(expected, actual);
            report.append(String.format("  %-16s max|err| %.3g (bound %.3g), item-diff max|err| %.3g (bound %.3g)%n",
                    name, e[0], e[1], e[2], e[3]));
            if (e[0] > e[1] || e[2] > e[3]) {
                failures.put(name, e);
            }
        }
        if (trace) {
            report.append(traceReport(golden, outputs));
        }
        System.out.print(report);
        assertThat(failures).as("outputs of %s outside the golden bounds:%n%s", modelId, report).isEmpty();
    }

    /** {max abs error, its bound, max abs error of item0-item1, its bound}. */
    static double[] compare(float[] expected, float[] actual) {
        int half = expected.length / 2;
        double maxErr = 0;
        double maxGolden = 0;
        double maxDiffErr = 0;
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            maxErr = Math.max(maxErr, Math.abs((double) expected[i] - actual[i]));
            maxGolden = Math.max(maxGolden, Math.abs(expected[i]));
            if (i < half) {
                double dg = (double) expected[i] - expected[i + half];
                double da = (double) actual[i] - actual[i + half];
                maxDiff = Math.max(maxDiff, Math.abs(dg));
                maxDiffErr = Math.max(maxDiffErr, Math.abs(dg - da));
            }
            if (Float.isNaN(actual[i])) {
                maxErr = Double.POSITIVE_INFINITY;
            }
        }
        return new double[] {maxErr, 1e-3 * Math.max(1, maxGolden), maxDiffErr, 1e-3 * maxDiff};
    }

    private static void assertStateDict(String id, Map<String, long[]> declared, Map<String, long[]> reference) {
        TreeSet<String> missing = new TreeSet<>(reference.keySet());
        missing.removeAll(declared.keySet());
        TreeSet<String> extra = new TreeSet<>(declared.keySet());
        extra.removeAll(reference.keySet());
        assertThat(missing).as("%s: reference keys the architecture does not declare", id).isEmpty();
        assertThat(extra).as("%s: declared keys not in the reference", id).isEmpty();
        for (var e : reference.entrySet()) {
            assertThat(declared.get(e.getKey())).as("%s: shape of %s", id, e.getKey()).isEqualTo(e.getValue());
        }
    }

    private static String traceReport(Golden golden, Map<String, float[]> outputs) {
        StringBuilder sb = new StringBuilder("  trace (relative to the reference std):\n");
        for (JsonNode t : golden.manifest().get("trace")) {
            String point = t.get("point").asString();
            boolean input = t.has("kind") && "input".equals(t.get("kind").asString());
            float[] v = outputs.get("trace:" + point + (input ? "#input" : ""));
            if (v == null) {
                sb.append(String.format("    %-45s (not tapped)%n", point + (input ? " (input)" : "")));
                continue;
            }
            double mean = 0;
            for (float f : v) {
                mean += f;
            }
            mean /= v.length;
            double var = 0;
            for (float f : v) {
                var += (f - mean) * (f - mean);
            }
            double std = Math.sqrt(var / v.length);
            double refStd = t.get("std").asDouble();
            double first = 0;
            JsonNode first8 = t.get("first8");
            for (int i = 0; i < first8.size(); i++) {
                first = Math.max(first, Math.abs(first8.get(i).asDouble() - v[i]));
            }
            sb.append(String.format("    %-45s mean %.2e std %.2e first8 %.2e%n", point + (input ? " (input)" : ""),
                    Math.abs(mean - t.get("mean").asDouble()) / refStd, Math.abs(std - refStd) / refStd, first / refStd));
        }
        return sb.toString();
    }

    static long[] longs(JsonNode arr) {
        long[] s = new long[arr.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = arr.get(i).asLong();
        }
        return s;
    }
}
