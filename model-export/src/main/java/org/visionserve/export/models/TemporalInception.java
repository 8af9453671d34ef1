package org.visionserve.export.models;

import java.util.List;
import org.visionserve.export.graph.Conv;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.graph.Scope;
import org.visionserve.export.graph.Value;

/**
 * Temporal-Inception (Ma et al., "TS-LSTM and Temporal-Inception: Exploiting Spatiotemporal
 * Dynamics for Activity Recognition", 2017), the Lua model {@code model-Conv-Inception-v1} of
 * {@code Temporal-ConvNet}: the 25 x 4096 two-stream feature matrix is read as a one-channel image
 * (height = feature index, width = time) and filtered along time only, by four Inception stages of
 * parallel 1x5 and 1x7 convolutions with temporal max pooling, three 1x1 bottlenecks to one
 * channel, then an MLP classifier. Parameter names are those of the spec's PyTorch port
 * ({@code tools/ref_action.py}); spec/action-recognition.md section 6 maps them to the Lua modules.
 *
 * <p>For the service: input {@code features [B, 25, 4096]}, where {@code features[b, t]} is the
 * RGB-stream ResNet-101 {@code features} of sample point t followed by the flow stream's (25 sample
 * points per video, spec section 2). Outputs {@code logits [B, 101]} and
 * {@code log_probs [B, 101]} (what the Lua model emits); classes in {@code ucf101} order.
 */
public final class TemporalInception {

    static final ModelDef.Reference REFERENCE = new ModelDef.Reference("chihyaoma/Activity-Recognition-with-CNN-and-RNN",
            "5d8557100c09f30ef0222d4992155bd7d6e149c9", "Temporal-ConvNet/model-Conv-Inception-v1.lua",
            "TemporalInception(num_classes=101) (PyTorch port of the Lua model, spec/action-recognition.md)");

    static final int FRAMES = 25;
    static final int FEATURES = 4096;
    /** Temporal kernel sizes of the two branches of every stage, in concatenation order. */
    static final int[] KERNELS = {5, 7};
    /** Channels of each branch per stage (doubling as the concat doubles them), and the pool widths. */
    static final int[] STAGE_WIDTHS = {1, 2, 4, 8};
    static final int[] POOLS = {2, 2, 2, 3};
    static final int[] BOTTLENECK = {4, 2, 1};
    static final double SPATIAL_DROPOUT = 0.2;

    private TemporalInception() {
    }

    public static List<ModelDef> models() {
        return List.of(new ModelDef("temporal_inception_ucf101", Task.ACTION_RECOGNITION, "temporal_inception",
                "Temporal-Inception head over two-stream ResNet-101 features (UCF101, 101 classes): input "
                        + "features [B,25,4096] = per sample point RGB feature then flow feature; outputs "
                        + "logits [B,101] and log_probs [B,101]",
                REFERENCE, null, "ucf101", TemporalInception::build));
    }

    private static void build(Graph g) {
        Scope m = g.root();
        Value logits = forward(m, g.input("features", FRAMES, FEATURES), ResNet.UCF101_CLASSES);
        g.output("logits", logits);
        g.output("log_probs", m.logSoftmax(logits, 1));
    }

    static Value forward(Scope m, Value features, int numClasses) {
        // [B, T, 4096] -> the Lua layout [B, 1, 4096, T]
        Value x = m.reshape(m.transpose(features, 0, 2, 1), 0, 1, FEATURES, features.dim(1));
        for (int s = 0; s < STAGE_WIDTHS.length; s++) {
            x = inceptionStage(m.sub("stages", s), x, STAGE_WIDTHS[s], POOLS[s]);
        }
        for (int j = 0; j < BOTTLENECK.length; j++) {
            x = convBnRelu(m.sub("bottleneck", j), x, Conv.of(BOTTLENECK[j], 1));
        }
        // Torch7 SpatialDropout is not inverted: at evaluation it scales by (1 - p).
        x = m.sub("dropout_spatial").tap(m.mul(x, (float) (1 - SPATIAL_DROPOUT)));
        x = m.reshape(x, 0, FEATURES); // flatten [B, 1, 4096, 1]
        x = m.sub("fc1").tap(m.sub("fc1").linear(x, 1024));
        x = m.relu(m.sub("fc1_bn").tap(m.sub("fc1_bn").batchNorm(x, 1e-5)));
        // nn.Dropout(0.2) here is the identity at inference.
        return m.sub("fc2").tap(m.sub("fc2").linear(x, numClasses));
    }

    /** Parallel temporal convolutions (1x5, 1x7, "same" padding), each with BN, ReLU and max pooling over time. */
    static Value inceptionStage(Scope s, Value x, int width, int pool) {
        Value[] branches = new Value[KERNELS.length];
        for (int b = 0; b < KERNELS.length; b++) {
            int k = KERNELS[b];
            Scope br = s.sub("branches", b);
            Value y = convBnRelu(br, x, Conv.of(width, 1, k).pad(0, (k - 1) / 2));
            branches[b] = br.maxPool(y, 1, pool, 1, pool);
        }
        return s.tap(s.concat(1, branches));
    }

    static Value convBnRelu(Scope s, Value x, Conv conv) {
        Value y = s.sub("bn").batchNorm(s.sub("conv").conv2d(x, conv), 1e-5);
        return s.tap(s.relu(y));
    }
}
