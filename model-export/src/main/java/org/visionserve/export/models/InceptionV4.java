package org.visionserve.export.models;

import static org.visionserve.export.models.ConvNormAct.apply;
import static org.visionserve.export.models.ConvNormAct.avgPoolBranch;
import static org.visionserve.export.models.ConvNormAct.maxPool;
import static org.visionserve.export.models.ConvNormAct.sequence;

import java.util.List;
import org.visionserve.export.graph.Conv;
import org.visionserve.export.graph.Scope;
import org.visionserve.export.graph.Value;

/**
 * Inception-v4 (Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of Residual
 * Connections on Learning", 2016), as timm's {@code InceptionV4}: one {@code features} sequence of
 * a three-unit stem, Mixed3a/4a/5a, 4 x InceptionA, ReductionA, 7 x InceptionB, ReductionB,
 * 3 x InceptionC, then average pooling and {@code last_linear}. Every convolution is a
 * {@link ConvNormAct} unit; padding is explicit (0 unless stated), never TF "same".
 */
public final class InceptionV4 {

    static final ModelDef.Reference TIMM = new ModelDef.Reference("huggingface/pytorch-image-models",
            "aa4b5850c1543fa488abf260f18390eda46cf85d", "timm/models/inception_v4.py",
            "timm.create_model('inception_v4', num_classes=1000)");

    private InceptionV4() {
    }

    public static List<ModelDef> models() {
        return List.of(new ModelDef("inception_v4", Task.CLASSIFICATION, "inception_v4",
                "Inception-v4, ImageNet-1k, 299 px", TIMM,
                Preprocessing.timm(299, 0.875, Preprocessing.INCEPTION_MEAN, Preprocessing.INCEPTION_STD, false),
                "imagenet-1k", g -> g.output("logits", forward(g.root(), g.input("input", 3, 299, 299), 1000))));
    }

    static Value forward(Scope m, Value x, int numClasses) {
        Scope f = m.sub("features");
        x = f.sub(0).tap(apply(f.sub(0), x, Conv.of(32, 3).stride(2), true));
        x = f.sub(1).tap(apply(f.sub(1), x, Conv.of(32, 3)));
        x = f.sub(2).tap(apply(f.sub(2), x, Conv.of(64, 3).pad(1)));
        x = f.sub(3).tap(mixed3a(f.sub(3), x));
        x = f.sub(4).tap(mixed4a(f.sub(4), x));
        x = f.sub(5).tap(mixed5a(f.sub(5), x));
        int i = 6;
        for (int k = 0; k < 4; k++, i++) {
            x = f.sub(i).tap(inceptionA(f.sub(i), x));
        }
        x = f.sub(i).tap(reductionA(f.sub(i), x));
        i++;
        for (int k = 0; k < 7; k++, i++) {
            x = f.sub(i).tap(inceptionB(f.sub(i), x));
        }
        x = f.sub(i).tap(reductionB(f.sub(i), x));
        i++;
        for (int k = 0; k < 3; k++, i++) {
            x = f.sub(i).tap(inceptionC(f.sub(i), x));
        }
        x = m.sub("global_pool").tap(m.globalAvgPool(x));
        return m.sub("last_linear").tap(m.sub("last_linear").linear(x, numClasses));
    }

    /** 147 -> 73: max pool and a stride-2 unit side by side; the pool comes FIRST in the concat. */
    static Value mixed3a(Scope s, Value x) {
        return s.concat(1, maxPool(s, x), apply(s.sub("conv"), x, Conv.of(96, 3).stride(2)));
    }

    /** Two towers ending in valid 3x3 convs (73 -> 71); one factorises a 7x7 into 1x7 and 7x1. */
    static Value mixed4a(Scope s, Value x) {
        Value b0 = sequence(s.sub("branch0"), x, Conv.of(64, 1), Conv.of(96, 3));
        Value b1 = sequence(s.sub("branch1"), x, Conv.of(64, 1), Conv.of(64, 1, 7).pad(0, 3),
                Conv.of(64, 7, 1).pad(3, 0), Conv.of(96, 3));
        return s.concat(1, b0, b1);
    }

    /** 71 -> 35: a stride-2 unit and max pool side by side; here the conv comes FIRST in the concat. */
    static Value mixed5a(Scope s, Value x) {
        return s.concat(1, apply(s.sub("conv"), x, Conv.of(192, 3).stride(2)), maxPool(s, x));
    }

    /** 35x35 block: 1x1, 1x1 -> 3x3, 1x1 -> 3x3 -> 3x3, avg pool -> 1x1 (96 channels each). */
    static Value inceptionA(Scope s, Value x) {
        Value b0 = apply(s.sub("branch0"), x, Conv.of(96, 1));
        Value b1 = sequence(s.sub("branch1"), x, Conv.of(64, 1), Conv.of(96, 3).pad(1));
        Value b2 = sequence(s.sub("branch2"), x, Conv.of(64, 1), Conv.of(96, 3).pad(1), Conv.of(96, 3).pad(1));
        Value b3 = avgPoolBranch(s.sub("branch3"), x, 96);
        return s.concat(1, b0, b1, b2, b3);
    }

    /** 35 -> 17 (Mixed6a): stride-2 3x3, a 1x1 -> 3x3 -> stride-2 3x3 tower, max pool. */
    static Value reductionA(Scope s, Value x) {
        Value b0 = apply(s.sub("branch0"), x, Conv.of(384, 3).stride(2));
        Value b1 = sequence(s.sub("branch1"), x, Conv.of(192, 1), Conv.of(224, 3).pad(1),
                Conv.of(256, 3).stride(2));
        return s.concat(1, b0, b1, maxPool(s, x));
    }

    /** 17x17 block with 7x7 convolutions factorised into 1x7 and 7x1. */
    static Value inceptionB(Scope s, Value x) {
        Value b0 = apply(s.sub("branch0"), x, Conv.of(384, 1));
        Value b1 = sequence(s.sub("branch1"), x, Conv.of(192, 1), Conv.of(224, 1, 7).pad(0, 3),
                Conv.of(256, 7, 1).pad(3, 0));
        Value b2 = sequence(s.sub("branch2"), x, Conv.of(192, 1), Conv.of(192, 7, 1).pad(3, 0),
                Conv.of(224, 1, 7).pad(0, 3), Conv.of(224, 7, 1).pad(3, 0), Conv.of(256, 1, 7).pad(0, 3));
        Value b3 = avgPoolBranch(s.sub("branch3"), x, 128);
        return s.concat(1, b0, b1, b2, b3);
    }

    /** 17 -> 8 (Mixed7a): two towers ending in stride-2 3x3 convs, max pool. */
    static Value reductionB(Scope s, Value x) {
        Value b0 = sequence(s.sub("branch0"), x, Conv.of(192, 1), Conv.of(192, 3).stride(2));
        Value b1 = sequence(s.sub("branch1"), x, Conv.of(256, 1), Conv.of(256, 1, 7).pad(0, 3),
                Conv.of(320, 7, 1).pad(3, 0), Conv.of(320, 3).stride(2));
        return s.concat(1, b0, b1, maxPool(s, x));
    }

    /**
     * 8x8 block: the two inner towers split into a 1x3 and a 3x1 unit on the same input, each pair
     * concatenated (1x3 first) in the tower's place. Units are named flat ({@code branch1_1a}).
     */
    static Value inceptionC(Scope s, Value x) {
        Value b0 = apply(s.sub("branch0"), x, Conv.of(256, 1));
        Value t1 = apply(s.sub("branch1_0"), x, Conv.of(384, 1));
        Value b1 = s.concat(1, apply(s.sub("branch1_1a"), t1, Conv.of(256, 1, 3).pad(0, 1)),
                apply(s.sub("branch1_1b"), t1, Conv.of(256, 3, 1).pad(1, 0)));
        Value t2 = apply(s.sub("branch2_0"), x, Conv.of(384, 1));
        t2 = apply(s.sub("branch2_1"), t2, Conv.of(448, 3, 1).pad(1, 0));
        t2 = apply(s.sub("branch2_2"), t2, Conv.of(512, 1, 3).pad(0, 1));
        Value b2 = s.concat(1, apply(s.sub("branch2_3a"), t2, Conv.of(256, 1, 3).pad(0, 1)),
                apply(s.sub("branch2_3b"), t2, Conv.of(256, 3, 1).pad(1, 0)));
        Value b3 = avgPoolBranch(s.sub("branch3"), x, 256);
        return s.concat(1, b0, b1, b2, b3);
    }
}
