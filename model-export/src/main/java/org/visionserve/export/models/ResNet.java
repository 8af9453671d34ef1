package org.visionserve.export.models;

import java.util.List;
import org.visionserve.export.graph.Conv;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.graph.Scope;
import org.visionserve.export.graph.Value;

/**
 * ResNet-101 (He et al., "Deep Residual Learning for Image Recognition", 2016) as torchvision's
 * {@code resnet101}: the per-frame feature extractors of the two-stream action-recognition pipeline
 * (Ma et al., TS-LSTM and Temporal-Inception, 2017), fine-tuned on UCF101. Parameter names are
 * torchvision's, so a converted checkpoint loads unchanged.
 *
 * <p>For the service: each graph takes {@code input [B, C, 224, 224]} (one sample point per batch
 * item) and has two outputs, {@code features [B, 2048]} (the pooled feature the video heads
 * consume: concatenate RGB then flow per sample point into {@code [25, 4096]}) and
 * {@code logits [B, 101]} (per-frame scores; the two-stream baseline averages them over streams
 * and the 25 frames). RGB: C = 3, RGB order, /255, shorter side 256 bicubic, centre crop 224
 * (left = ceil((W - 224) / 2), top likewise: 59 for a 341-wide frame, where timm's rounding gives
 * 58), UCF101 mean/std. Flow: C = 20 = ten TV-L1 fields in time order, each as (y, x) min-max
 * stretched to [0, 255], /255, the same resize and crop, per-component mean/std
 * (spec/action-recognition.md sections 2-4).
 */
public final class ResNet {

    static final ModelDef.Reference TORCHVISION = new ModelDef.Reference("pytorch/vision", "v0.14.1",
            "torchvision/models/resnet.py", "torchvision.models.resnet101(num_classes=101)");

    /** Bottleneck blocks per stage of ResNet-101. */
    static final int[] RESNET101 = {3, 4, 23, 3};
    static final int EXPANSION = 4;
    static final int UCF101_CLASSES = 101;

    /** UCF101 statistics of the reference's feature extraction, in [0, 1] units (not ImageNet's). */
    static final float[] UCF101_RGB_MEAN = {0.39743499656438f, 0.38846055375943f, 0.35173909269078f};
    static final float[] UCF101_RGB_STD = {0.24145608138375f, 0.23480329347676f, 0.2306657093885f};
    static final float UCF101_FLOW_Y_MEAN = 0.49308556329956f;
    static final float UCF101_FLOW_Y_STD = 0.060068045559535f;
    static final float UCF101_FLOW_X_MEAN = 0.42114283484146f;
    static final float UCF101_FLOW_X_STD = 0.058203296730741f;

    /** Ten stacked flow fields, two channels (y then x) each. */
    static final int FLOW_CHANNELS = 20;

    private ResNet() {
    }

    public static List<ModelDef> models() {
        return List.of(
                model("resnet101_rgb", 3, UCF101_RGB_MEAN, UCF101_RGB_STD,
                        "ResNet-101 RGB stream of two-stream action recognition (UCF101, 101 classes): "
                                + "input [B,3,224,224] one RGB frame, R,G,B; outputs features [B,2048] "
                                + "(per-frame feature for the video heads) and logits [B,101]"),
                model("resnet101_flow", FLOW_CHANNELS, flowStats(UCF101_FLOW_Y_MEAN, UCF101_FLOW_X_MEAN),
                        flowStats(UCF101_FLOW_Y_STD, UCF101_FLOW_X_STD),
                        "ResNet-101 optical-flow stream of two-stream action recognition (UCF101, 101 classes): "
                                + "input [B,20,224,224] = 10 TV-L1 flow fields in time order, channels "
                                + "[y1,x1,...,y10,x10], each min-max stretched to [0,255] per field and "
                                + "component; outputs features [B,2048] and logits [B,101]"));
    }

    private static ModelDef model(String id, int inChannels, float[] mean, float[] std, String description) {
        // The reference resized the shorter side to 256 and centre-cropped 224 (crop_pct 0.875).
        Preprocessing pre = new Preprocessing(224, 224.0 / 256, 256, "bicubic", "center", mean, std, true);
        return new ModelDef(id, Task.ACTION_FEATURES, "resnet", description, TORCHVISION, pre, "ucf101",
                g -> build(g, inChannels));
    }

    /** Per-channel statistics of the flow stack: y and x components alternate, y first. */
    private static float[] flowStats(float y, float x) {
        float[] s = new float[FLOW_CHANNELS];
        for (int c = 0; c < FLOW_CHANNELS; c += 2) {
            s[c] = y;
            s[c + 1] = x;
        }
        return s;
    }

    private static void build(Graph g, int inChannels) {
        Scope m = g.root();
        Value features = features(m, g.input("input", inChannels, 224, 224), RESNET101);
        g.output("features", features);
        g.output("logits", m.sub("fc").tap(m.sub("fc").linear(features, UCF101_CLASSES)));
    }

    /** Stem, four stages of bottlenecks, global average pool: the 2048-d feature. */
    static Value features(Scope m, Value x, int[] layers) {
        x = stem(m, x);
        int[] planes = {64, 128, 256, 512};
        for (int i = 0; i < 4; i++) {
            x = layer(m.sub("layer" + (i + 1)), x, planes[i], layers[i], i == 0 ? 1 : 2);
        }
        // avgpool keeps [B, 2048, 1, 1]; torch.flatten(x, 1) follows in forward().
        Value pooled = m.sub("avgpool").tap(m.sub("avgpool").reduceMean(x, true, 2, 3));
        return m.squeeze(pooled, 2, 3);
    }

    /** conv1 7x7 stride 2 (no bias), bn1, ReLU, 3x3 stride-2 max pool. */
    static Value stem(Scope m, Value x) {
        x = m.sub("conv1").tap(m.sub("conv1").conv2d(x, Conv.of(64, 7).stride(2).pad(3).noBias()));
        x = m.sub("bn1").tap(m.sub("bn1").batchNorm(x, 1e-5));
        x = m.relu(x);
        return m.sub("maxpool").tap(m.sub("maxpool").maxPool(x, 3, 2, 1, false));
    }

    /** The first block strides and projects the shortcut; the rest keep the shape. */
    static Value layer(Scope s, Value x, int planes, int blocks, int stride) {
        for (int j = 0; j < blocks; j++) {
            x = bottleneck(s.sub(j), x, planes, j == 0 ? stride : 1);
        }
        return s.tap(x);
    }

    /**
     * 1x1 reduce, 3x3 (carries the stride, "ResNet v1.5" as torchvision and fb.resnet.torch), 1x1
     * expand to 4x planes; shortcut = identity, or 1x1 conv + BN ({@code downsample.0/1}) when the
     * shape changes. ReLU after the sum.
     */
    static Value bottleneck(Scope s, Value x, int planes, int stride) {
        int out = planes * EXPANSION;
        Value y = s.relu(s.sub("bn1").batchNorm(s.sub("conv1").conv2d(x, Conv.of(planes, 1).noBias()), 1e-5));
        y = s.relu(s.sub("bn2").batchNorm(s.sub("conv2").conv2d(y, Conv.of(planes, 3).stride(stride).pad(1).noBias()),
                1e-5));
        y = s.sub("bn3").batchNorm(s.sub("conv3").conv2d(y, Conv.of(out, 1).noBias()), 1e-5);
        Value shortcut = x;
        if (stride != 1 || x.channels() != out) {
            Scope d = s.sub("downsample");
            shortcut = d.sub("1").batchNorm(d.sub("0").conv2d(x, Conv.of(out, 1).stride(stride).noBias()), 1e-5);
        }
        return s.relu(s.add(y, shortcut));
    }
}
