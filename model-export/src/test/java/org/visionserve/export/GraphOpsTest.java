package org.visionserve.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.visionserve.export.graph.Conv;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.graph.Scope;
import org.visionserve.export.graph.Value;
import org.visionserve.export.weights.SeededInit;
import org.visionserve.export.weights.SeededWeights;

/**
 * The builder's layers run on ONNX Runtime with the shapes the builder inferred, and the
 * PyTorch-specific pooling semantics (ceil mode, count_include_pad) hold at the borders.
 */
class GraphOpsTest {

    /** Builds {@code op} on a [1, 2, h, w] input, runs it, checks the inferred shape against ORT's output size. */
    private static float[] run(int h, int w, BiFunction<Scope, Value, Value> op, long[] expectedShape) throws Exception {
        Graph g = new Graph("t", new SeededWeights(0));
        Value y = op.apply(g.root(), g.input("x", 2, h, w));
        g.output("y", y);
        assertThat(Arrays.copyOfRange(y.shape(), 1, y.rank())).as("inferred shape")
                .containsExactly(Arrays.copyOfRange(expectedShape, 1, expectedShape.length));
        float[] x = SeededInit.input("x", 2 * h * w, 0);
        float[] out = OrtRunner.run(g.toModel("test", Map.of(), false), Map.of("x", x),
                Map.of("x", new long[] {1, 2, h, w})).get("y");
        assertThat((long) out.length).as("ORT output size").isEqualTo(Arrays.stream(expectedShape).reduce(1, (a, b) -> a * b));
        return out;
    }

    /**
     * PyTorch's pooled size is floor((in + 2p - k) / s) + 1, or ceil(...) + 1 in ceil mode, where a
     * last window that would start in the right padding (at or past in + p in padded coordinates) is
     * dropped. Every case is compared, value by value, with max pooling computed directly.
     */
    @ParameterizedTest(name = "in {0}, k {1}, s {2}, p {3}, ceil {4} -> {5}")
    @CsvSource({
        // ceil((5+2-2)/2)+1 = 4, but the 4th window would start at 6 = 5+1, all padding: dropped -> 3
        "5, 2, 2, 1, true, 3",
        // ceil((6+2-3)/2)+1 = 4; the 4th window starts at 6 < 6+1, on the last real row: kept
        "6, 3, 2, 1, true, 4",
        // ceil((8-3)/2)+1 = 4 where floor mode has 3: a partial window over the last two rows
        "8, 3, 2, 0, true, 4",
        "8, 3, 2, 0, false, 3",
        // (7-3)/2 is exact: ceil and floor agree
        "7, 3, 2, 0, true, 3",
        // Inception's stem: floor((147-3)/2)+1
        "147, 3, 2, 0, false, 73"})
    void maxPoolSizesAndValuesFollowPyTorch(int in, int k, int s, int p, boolean ceil, int out) throws Exception {
        float[] y = run(in, in, (sc, x) -> sc.maxPool(x, k, s, p, ceil), new long[] {1, 2, out, out});
        float[] ref = pool(SeededInit.input("x", 2 * in * in, 0), in, out, k, s, p, true, false);
        assertThat(ref).as("every reference window covers a real pixel").doesNotContain(Float.NEGATIVE_INFINITY);
        assertThat(y).containsExactly(ref);
    }

    @ParameterizedTest(name = "count_include_pad {0}")
    @ValueSource(booleans = {false, true})
    void averagePoolDividesByRealPixelsOrTheWholeWindow(boolean countIncludePad) throws Exception {
        int n = 5;
        float[] y = run(n, n, (s, x) -> s.avgPool(x, 3, 1, 1, false, countIncludePad), new long[] {1, 2, n, n});
        float[] x = SeededInit.input("x", 2 * n * n, 0);
        float[] ref = pool(x, n, n, 3, 1, 1, false, countIncludePad);
        for (int i = 0; i < ref.length; i++) {
            assertThat(y[i]).as("output %d", i).isCloseTo(ref[i], org.assertj.core.data.Offset.offset(1e-6f));
        }
        // corner (0,0) of channel 0 by hand: 4 real pixels, divided by 4 or by the 9 of the window
        float corner = (x[0] + x[1] + x[n] + x[n + 1]) / (countIncludePad ? 9 : 4);
        assertThat(y[0]).isCloseTo(corner, org.assertj.core.data.Offset.offset(1e-6f));
    }

    /**
     * Pooling of the [1, 2, in, in] input by definition, as PyTorch does it: output (i, j) covers rows
     * and columns [i*s - p, i*s - p + k) clipped to the input; padding never wins the max; the average
     * divides by the real pixels, or with count_include_pad by the window clipped to the padded input.
     */
    private static float[] pool(float[] x, int in, int out, int k, int s, int p, boolean max, boolean countIncludePad) {
        float[] y = new float[2 * out * out];
        for (int c = 0; c < 2; c++) {
            for (int i = 0; i < out; i++) {
                for (int j = 0; j < out; j++) {
                    int r0 = i * s - p;
                    int c0 = j * s - p;
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    int real = 0;
                    for (int r = Math.max(r0, 0); r < Math.min(r0 + k, in); r++) {
                        for (int q = Math.max(c0, 0); q < Math.min(c0 + k, in); q++) {
                            float v = x[(c * in + r) * in + q];
                            acc = max ? Math.max(acc, v) : acc + v;
                            real++;
                        }
                    }
                    int padded = (Math.min(r0 + k, in + p) - r0) * (Math.min(c0 + k, in + p) - c0);
                    y[(c * out + i) * out + j] = (float) (max ? acc : acc / (countIncludePad ? padded : real));
                }
            }
        }
        return y;
    }

    @Test
    void convolutionsWithAsymmetricPaddingGroupsAndDilation() throws Exception {
        run(9, 11, (s, x) -> s.sub("c").conv2d(x, Conv.of(4, 1, 7).pad(0, 3).groups(2)), new long[] {1, 4, 9, 11});
        run(9, 11, (s, x) -> s.sub("c").conv2d(x, Conv.of(3, 3).dilation(2).pad(2).stride(2)), new long[] {1, 3, 5, 6});
        run(9, 11, (s, x) -> s.sub("c").conv2d(x, Conv.of(2, 2).pads(0, 0, 1, 1).stride(2)), new long[] {1, 2, 5, 6});
        run(4, 5, (s, x) -> s.sub("c").convTranspose2d(x, Conv.of(3, 3).stride(2).pad(1), 1), new long[] {1, 3, 8, 10});
    }

    @Test
    void shapeOpsInferWhatOrtComputes() throws Exception {
        run(4, 6, (s, x) -> s.split(x, 3, 1, 2, 3)[2], new long[] {1, 2, 4, 3});
        run(4, 6, (s, x) -> s.slice(x, 2, 1, 3), new long[] {1, 2, 2, 6});
        run(4, 6, (s, x) -> s.toChannelsLast(x), new long[] {1, 4, 6, 2});
        run(4, 6, (s, x) -> s.flatten(x, 1), new long[] {1, 48});
        run(4, 6, (s, x) -> s.reshape(x, 0, 0, -1), new long[] {1, 2, 24});
        run(4, 6, (s, x) -> s.upsampleNearest(x, 2), new long[] {1, 2, 8, 12});
        run(4, 6, (s, x) -> s.globalAvgPool(x), new long[] {1, 2});
        run(4, 6, (s, x) -> s.sub("ln").layerNorm(x, 1e-6), new long[] {1, 2, 4, 6});
        run(4, 6, (s, x) -> s.sub("fc").linear(x, 5), new long[] {1, 2, 4, 5});
        run(4, 6, (s, x) -> s.matmul(x, s.transpose(x, 0, 1, 3, 2)), new long[] {1, 2, 4, 4});
        run(4, 6, (s, x) -> s.concat(1, x, s.gelu(x)), new long[] {1, 4, 4, 6});
    }

    @Test
    void layerNormOverChannelsNormalisesEachPixelAcrossChannels() throws Exception {
        int n = 3;
        float[] y = run(n, n, (s, x) -> s.sub("ln").layerNormChannels(x, 1e-6), new long[] {1, 2, n, n});
        float[] x = SeededInit.input("x", 2 * n * n, 0);
        float[] w = SeededInit.tensor("ln.weight", new long[] {2}, 0).toFloatArray();
        float[] b = SeededInit.tensor("ln.bias", new long[] {2}, 0).toFloatArray();
        for (int p = 0; p < n * n; p++) {
            double mean = (x[p] + x[n * n + p]) / 2.0;
            double var = (Math.pow(x[p] - mean, 2) + Math.pow(x[n * n + p] - mean, 2)) / 2;
            for (int c = 0; c < 2; c++) {
                double ref = (x[c * n * n + p] - mean) / Math.sqrt(var + 1e-6) * w[c] + b[c];
                assertThat((double) y[c * n * n + p]).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-4));
            }
        }
    }

    @Test
    void geluIsTheExactErfForm() throws Exception {
        float[] y = run(3, 3, (s, x) -> s.gelu(x), new long[] {1, 2, 3, 3});
        float[] x = SeededInit.input("x", 18, 0);
        for (int i = 0; i < x.length; i++) {
            double ref = 0.5 * x[i] * (1 + erf(x[i] / Math.sqrt(2)));
            assertThat((double) y[i]).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    /** erf by its Taylor series; exact enough for |x| < 1.5. */
    private static double erf(double x) {
        double sum = 0;
        double term = x;
        for (int n = 0; n < 60; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }
}
