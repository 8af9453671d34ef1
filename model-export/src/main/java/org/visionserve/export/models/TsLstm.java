package org.visionserve.export.models;

import java.util.List;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.graph.Scope;
import org.visionserve.export.graph.Value;

/**
 * TS-LSTM, temporal-segment LSTM (Ma et al., "TS-LSTM and Temporal-Inception: Exploiting
 * Spatiotemporal Dynamics for Activity Recognition", 2017), the Lua model
 * {@code model_temporal_BN_max_LSTM_BN_FC} with the repo's defaults (3 segments, one LSTM layer
 * of 512, no extra FC, no dropout): the 25 frame features are cut into 3 segments of 8 frames,
 * each batch-normalised by its own BN and max-pooled over its frames; an LSTM runs over the 3
 * pooled segment features and its last hidden state is classified after a BN. Parameter names are
 * those of the spec's PyTorch port ({@code tools/ref_action.py}); the LSTM is {@code torch.nn.LSTM}
 * (the Lua LSTM's peepholes are not part of this reference, spec section 7).
 *
 * <p>For the service: input {@code features [B, 25, 4096]}, where {@code features[b, t]} is the
 * RGB-stream ResNet-101 {@code features} of sample point t followed by the flow stream's. Use
 * {@code logits [B, 101]} or {@code log_probs [B, 101]} (what the Lua model emits); the other
 * outputs ({@code segment_pooled [B, 3, 4096]}, {@code lstm_h_last}, {@code lstm_c_last [B, 512]})
 * are intermediate states exposed for inspection.
 */
public final class TsLstm {

    static final ModelDef.Reference REFERENCE = new ModelDef.Reference("chihyaoma/Activity-Recognition-with-CNN-and-RNN",
            "5d8557100c09f30ef0222d4992155bd7d6e149c9", "RNN/model.lua",
            "TSLSTM(num_classes=101) (PyTorch port of model_temporal_BN_max_LSTM_BN_FC, spec/action-recognition.md)");

    static final int FRAMES = 25;
    static final int FEATURES = 4096;
    static final int SEGMENTS = 3;
    static final int HIDDEN = 512;

    private TsLstm() {
    }

    public static List<ModelDef> models() {
        return List.of(new ModelDef("ts_lstm_ucf101", Task.ACTION_RECOGNITION, "ts_lstm",
                "TS-LSTM head over two-stream ResNet-101 features (UCF101, 101 classes): input features "
                        + "[B,25,4096] = per sample point RGB feature then flow feature; outputs logits [B,101] "
                        + "and log_probs [B,101] (segment_pooled, lstm_h_last, lstm_c_last are intermediates)",
                REFERENCE, null, "ucf101", TsLstm::build));
    }

    private static void build(Graph g) {
        Scope m = g.root();
        Value features = g.input("features", FRAMES, FEATURES);

        Value pooled = temporalSegmentPooling(m, features, SEGMENTS);
        g.output("segment_pooled", pooled);

        Scope.LstmOutput lstm = m.sub("lstm").lstm(pooled, HIDDEN, true);
        m.sub("lstm").tap(lstm.output());
        g.output("lstm_h_last", lstm.hLast());
        g.output("lstm_c_last", lstm.cLast());

        // The classifier reads the last step's output (= h of the last step).
        Value x = m.sub("head_bn").tap(m.sub("head_bn").batchNorm(lstm.hLast(), 1e-5));
        Value logits = m.sub("fc").tap(m.sub("fc").linear(x, ResNet.UCF101_CLASSES));
        g.output("logits", logits);
        g.output("log_probs", m.logSoftmax(logits, 1));
    }

    /**
     * Segments of floor(T / n) consecutive frames (frames past n segments are dropped, as in the Lua
     * code); per segment its own BatchNorm over the features, then the max over its frames.
     * Returns {@code [B, n, features]}.
     */
    static Value temporalSegmentPooling(Scope m, Value features, int segments) {
        int length = Math.toIntExact(features.dim(1)) / segments;
        Value[] pooled = new Value[segments];
        for (int s = 0; s < segments; s++) {
            Scope bn = m.sub("segment_bn", s);
            Value seg = m.transpose(m.slice(features, 1, (long) s * length, (long) (s + 1) * length), 0, 2, 1);
            seg = bn.tap(bn.batchNorm(seg, 1e-5)); // BatchNorm1d on [B, 4096, L]
            pooled[s] = m.reduceMax(seg, true, 2);
        }
        return m.transpose(m.concat(2, pooled), 0, 2, 1);
    }
}
