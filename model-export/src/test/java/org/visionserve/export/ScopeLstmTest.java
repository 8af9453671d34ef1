package org.visionserve.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.graph.Scope;
import org.visionserve.export.graph.Value;
import org.visionserve.export.weights.SeededInit;
import org.visionserve.export.weights.SeededWeights;

/**
 * {@link Scope#lstm}: a small LSTM with seeded PyTorch-layout weights, run on ONNX Runtime, against
 * PyTorch's LSTM equations written out here (gate blocks i, f, g, o). A wrong PyTorch-to-ONNX gate
 * mapping mixes up gates whose weights differ, so every output would be off.
 */
class ScopeLstmTest {

    static final int B = 3;
    static final int T = 6;
    static final int I = 5;
    static final int H = 4;
    static final long SEED = 11;

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void matchesPyTorchEquations(boolean batchFirst) throws Exception {
        Graph g = new Graph("lstm_test", new SeededWeights(SEED));
        Value x = batchFirst ? g.input("x", T, I) : g.input("x", B, I); // leading dim is dynamic
        Scope.LstmOutput out = g.root().sub("lstm").lstm(x, H, batchFirst);
        g.output("y", out.output());
        g.output("h", out.hLast());
        g.output("c", out.cLast());
        var proto = g.toModel("test", Map.of(), false);

        // The initializers keep PyTorch's names and layout.
        Map<String, long[]> declared = g.declaredKeys();
        assertThat(declared.keySet()).containsExactly("lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0",
                "lstm.bias_hh_l0");
        TensorProto wih = proto.getGraph().getInitializerList().stream()
                .filter(t -> t.getName().equals("lstm.weight_ih_l0")).findFirst().orElseThrow();
        assertThat(wih.getDimsList()).containsExactly(4L * H, (long) I);

        float[] input = SeededInit.input("x", B * T * I, 0); // [B, T, I] row-major
        float[] feed = batchFirst ? input : toSeqFirst(input, I);
        long[] shape = batchFirst ? new long[] {B, T, I} : new long[] {T, B, I};
        Map<String, float[]> result = OrtRunner.run(proto, Map.of("x", feed), Map.of("x", shape));

        double[][][] ref = reference(input); // [B][T + 1][2H]: every step's h, and the last c
        float[] y = result.get("y");
        assertThat(y).hasSize(B * T * H);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                for (int k = 0; k < H; k++) {
                    int idx = batchFirst ? (b * T + t) * H + k : (t * B + b) * H + k;
                    assertThat((double) y[idx]).as("y[b=%d,t=%d,%d]", b, t, k).isCloseTo(ref[b][t][k], within(1e-5));
                }
            }
            for (int k = 0; k < H; k++) {
                assertThat((double) result.get("h")[b * H + k]).as("h[%d,%d]", b, k).isCloseTo(ref[b][T - 1][k], within(1e-5));
                assertThat((double) result.get("c")[b * H + k]).as("c[%d,%d]", b, k).isCloseTo(ref[b][T][k], within(1e-5));
            }
        }
    }

    /** torch.nn.LSTM, one layer, zero initial state, in double: h of each step, then the last c. */
    static double[][][] reference(float[] x) {
        float[] wih = SeededInit.tensor("lstm.weight_ih_l0", new long[] {4 * H, I}, SEED).toFloatArray();
        float[] whh = SeededInit.tensor("lstm.weight_hh_l0", new long[] {4 * H, H}, SEED).toFloatArray();
        float[] bih = SeededInit.tensor("lstm.bias_ih_l0", new long[] {4 * H}, SEED).toFloatArray();
        float[] bhh = SeededInit.tensor("lstm.bias_hh_l0", new long[] {4 * H}, SEED).toFloatArray();
        double[][][] out = new double[B][T + 1][];
        for (int b = 0; b < B; b++) {
            double[] h = new double[H];
            double[] c = new double[H];
            for (int t = 0; t < T; t++) {
                double[] gates = new double[4 * H];
                for (int r = 0; r < 4 * H; r++) {
                    double s = bih[r] + bhh[r];
                    for (int j = 0; j < I; j++) {
                        s += wih[r * I + j] * (double) x[(b * T + t) * I + j];
                    }
                    for (int j = 0; j < H; j++) {
                        s += whh[r * H + j] * h[j];
                    }
                    gates[r] = s;
                }
                double[] hNew = new double[H];
                for (int k = 0; k < H; k++) {
                    double i = sigmoid(gates[k]);
                    double f = sigmoid(gates[H + k]);
                    double g = Math.tanh(gates[2 * H + k]);
                    double o = sigmoid(gates[3 * H + k]);
                    c[k] = f * c[k] + i * g;
                    hNew[k] = o * Math.tanh(c[k]);
                }
                h = hNew;
                out[b][t] = h.clone();
            }
            out[b][T] = c.clone();
        }
        return out;
    }

    static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    /** [B, T, F] to [T, B, F]. */
    static float[] toSeqFirst(float[] x, int f) {
        float[] out = new float[x.length];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                System.arraycopy(x, (b * T + t) * f, out, (t * B + b) * f, f);
            }
        }
        return out;
    }
}
