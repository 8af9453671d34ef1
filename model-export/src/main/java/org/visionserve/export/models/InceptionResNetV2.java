package org.visionserve.export.models;

import static org.visionserve.export.models.ConvNormAct.apply;
import static org.visionserve.export.models.ConvNormAct.avgPoolBranch;
import static org.visionserve.export.models.ConvNormAct.maxPool;
import static org.visionserve.export.models.ConvNormAct.sequence;

import java.util.List;
import java.util.function.BiFunction;
import org.visionserve.export.graph.Conv;
import org.visionserve.export.graph.Scope;
import org.visionserve.export.graph.Value;

/**
 * Inception-ResNet-v2 (Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of Residual
 * Connections on Learning", 2016), as timm's {@code InceptionResnetV2}: a stem of
 * {@link ConvNormAct} units and max pools, Mixed_5b, 10 x Block35, Mixed_6a, 20 x Block17, Mixed_7a,
 * 9 x Block8, a last Block8 without ReLU, a 1x1 unit to 1536 channels, average pooling and
 * {@code classif}. The residual blocks scale their branch sum down (0.17 / 0.10 / 0.20) before the
 * addition, which the paper found keeps such wide residual nets stable.
 */
public final class InceptionResNetV2 {

    static final ModelDef.Reference TIMM = new ModelDef.Reference("huggingface/pytorch-image-models",
            "aa4b5850c1543fa488abf260f18390eda46cf85d", "timm/models/inception_resnet_v2.py",
            "timm.create_model('inception_resnet_v2', num_classes=1000)");

    private InceptionResNetV2() {
    }

    public static List<ModelDef> models() {
        return List.of(new ModelDef("inception_resnet_v2", Task.CLASSIFICATION, "inception_resnet_v2",
                "Inception-ResNet-v2, ImageNet-1k, 299 px", TIMM,
                Preprocessing.timm(299, 0.8975, Preprocessing.INCEPTION_MEAN, Preprocessing.INCEPTION_STD, false),
                "imagenet-1k", g -> g.output("logits", forward(g.root(), g.input("input", 3, 299, 299), 1000))));
    }

    static Value forward(Scope m, Value x, int numClasses) {
        x = m.sub("conv2d_1a").tap(apply(m.sub("conv2d_1a"), x, Conv.of(32, 3).stride(2), true));
        x = m.sub("conv2d_2a").tap(apply(m.sub("conv2d_2a"), x, Conv.of(32, 3)));
        x = m.sub("conv2d_2b").tap(apply(m.sub("conv2d_2b"), x, Conv.of(64, 3).pad(1)));
        x = m.sub("maxpool_3a").tap(maxPool(m.sub("maxpool_3a"), x));
        x = m.sub("conv2d_3b").tap(apply(m.sub("conv2d_3b"), x, Conv.of(80, 1)));
        x = m.sub("conv2d_4a").tap(apply(m.sub("conv2d_4a"), x, Conv.of(192, 3)));
        x = m.sub("maxpool_5a").tap(maxPool(m.sub("maxpool_5a"), x));
        x = m.sub("mixed_5b").tap(mixed5b(m.sub("mixed_5b"), x));
        x = repeat(m.sub("repeat"), x, 10, (s, v) -> residual(s, v, block35(s, v), 0.17f, true));
        x = m.sub("mixed_6a").tap(mixed6a(m.sub("mixed_6a"), x));
        x = repeat(m.sub("repeat_1"), x, 20, (s, v) -> residual(s, v, block17(s, v), 0.10f, true));
        x = m.sub("mixed_7a").tap(mixed7a(m.sub("mixed_7a"), x));
        x = repeat(m.sub("repeat_2"), x, 9, (s, v) -> residual(s, v, block8(s, v), 0.20f, true));
        Scope last = m.sub("block8");
        x = last.tap(residual(last, x, block8(last, x), 1.0f, false));
        x = m.sub("conv2d_7b").tap(apply(m.sub("conv2d_7b"), x, Conv.of(1536, 1)));
        x = m.sub("global_pool").tap(m.globalAvgPool(x));
        return m.sub("classif").tap(m.sub("classif").linear(x, numClasses));
    }

    /** An {@code nn.Sequential} of {@code n} blocks {@code s.0 .. s.(n-1)}; the first and the whole are trace points. */
    private static Value repeat(Scope s, Value x, int n, BiFunction<Scope, Value, Value> block) {
        for (int i = 0; i < n; i++) {
            x = block.apply(s.sub(i), x);
            if (i == 0) {
                s.sub(i).tap(x);
            }
        }
        return s.tap(x);
    }

    /**
     * {@code out = conv2d(concat(branches)) * scale + x}, then ReLU unless it is the last block.
     * {@code conv2d} is a plain 1x1 conv WITH bias (no BN) projecting back to the block's width.
     */
    private static Value residual(Scope s, Value x, Value branches, float scale, boolean relu) {
        Value up = s.sub("conv2d").conv2d(branches, Conv.of(x.channels(), 1));
        Value out = s.add(scale == 1.0f ? up : s.mul(up, scale), x);
        return relu ? s.relu(out) : out;
    }

    /** 35x35 stem block: 1x1, 1x1 -> 5x5, 1x1 -> 3x3 -> 3x3, avg pool -> 1x1 (320 channels out). */
    static Value mixed5b(Scope s, Value x) {
        Value b0 = apply(s.sub("branch0"), x, Conv.of(96, 1));
        Value b1 = sequence(s.sub("branch1"), x, Conv.of(48, 1), Conv.of(64, 5).pad(2));
        Value b2 = sequence(s.sub("branch2"), x, Conv.of(64, 1), Conv.of(96, 3).pad(1), Conv.of(96, 3).pad(1));
        Value b3 = avgPoolBranch(s.sub("branch3"), x, 64);
        return s.concat(1, b0, b1, b2, b3);
    }

    /** Block35 branches (Inception-ResNet-A): 1x1, 1x1 -> 3x3, 1x1 -> 3x3 -> 3x3; 128 channels. */
    static Value block35(Scope s, Value x) {
        Value b0 = apply(s.sub("branch0"), x, Conv.of(32, 1));
        Value b1 = sequence(s.sub("branch1"), x, Conv.of(32, 1), Conv.of(32, 3).pad(1));
        Value b2 = sequence(s.sub("branch2"), x, Conv.of(32, 1), Conv.of(48, 3).pad(1), Conv.of(64, 3).pad(1));
        return s.concat(1, b0, b1, b2);
    }

    /** 35 -> 17: stride-2 3x3, 1x1 -> 3x3 -> stride-2 3x3, max pool. */
    static Value mixed6a(Scope s, Value x) {
        Value b0 = apply(s.sub("branch0"), x, Conv.of(384, 3).stride(2));
        Value b1 = sequence(s.sub("branch1"), x, Conv.of(256, 1), Conv.of(256, 3).pad(1), Conv.of(384, 3).stride(2));
        return s.concat(1, b0, b1, maxPool(s, x));
    }

    /** Block17 branches (Inception-ResNet-B): 1x1, 1x1 -> 1x7 -> 7x1; 384 channels. */
    static Value block17(Scope s, Value x) {
        Value b0 = apply(s.sub("branch0"), x, Conv.of(192, 1));
        Value b1 = sequence(s.sub("branch1"), x, Conv.of(128, 1), Conv.of(160, 1, 7).pad(0, 3),
                Conv.of(192, 7, 1).pad(3, 0));
        return s.concat(1, b0, b1);
    }

    /** 17 -> 8: three towers ending in stride-2 3x3 convs, max pool. */
    static Value mixed7a(Scope s, Value x) {
        Value b0 = sequence(s.sub("branch0"), x, Conv.of(256, 1), Conv.of(384, 3).stride(2));
        Value b1 = sequence(s.sub("branch1"), x, Conv.of(256, 1), Conv.of(288, 3).stride(2));
        Value b2 = sequence(s.sub("branch2"), x, Conv.of(256, 1), Conv.of(288, 3).pad(1), Conv.of(320, 3).stride(2));
        return s.concat(1, b0, b1, b2, maxPool(s, x));
    }

    /** Block8 branches (Inception-ResNet-C): 1x1, 1x1 -> 1x3 -> 3x1; 448 channels. */
    static Value block8(Scope s, Value x) {
        Value b0 = apply(s.sub("branch0"), x, Conv.of(192, 1));
        Value b1 = sequence(s.sub("branch1"), x, Conv.of(192, 1), Conv.of(224, 1, 3).pad(0, 1),
                Conv.of(256, 3, 1).pad(1, 0));
        return s.concat(1, b0, b1);
    }
}
