package org.visionserve.export.models;

import org.visionserve.export.graph.Conv;
import org.visionserve.export.graph.Scope;
import org.visionserve.export.graph.Value;

/**
 * The unit every convolution of Inception-v4 and Inception-ResNet-v2 is made of (timm's
 * {@code ConvNormAct} / older {@code BasicConv2d}): a convolution without bias, BatchNorm with the
 * TensorFlow eps 1e-3 (the weights are ports of TF-Slim checkpoints), then ReLU.
 * Keys: {@code <unit>.conv.weight}, {@code <unit>.bn.*}.
 */
final class ConvNormAct {

    static final double BN_EPS = 1e-3;

    private ConvNormAct() {
    }

    static Value apply(Scope s, Value x, Conv c) {
        return apply(s, x, c, false);
    }

    /** {@code tapConv} also records the raw conv output ({@code <unit>.conv}), a reference trace point. */
    static Value apply(Scope s, Value x, Conv c, boolean tapConv) {
        Value y = s.sub("conv").conv2d(x, c.noBias());
        if (tapConv) {
            s.sub("conv").tap(y);
        }
        return s.relu(s.sub("bn").batchNorm(y, BN_EPS));
    }

    /** Units applied in sequence, indexed {@code 0, 1, ...} under {@code s} (an {@code nn.Sequential}). */
    static Value sequence(Scope s, Value x, Conv... convs) {
        for (int i = 0; i < convs.length; i++) {
            x = apply(s.sub(i), x, convs[i]);
        }
        return x;
    }

    /** {@code AvgPool2d(3, stride=1, padding=1, count_include_pad=False)} then a unit, as {@code branch3.0/.1}. */
    static Value avgPoolBranch(Scope s, Value x, int out) {
        return apply(s.sub(1), s.avgPool(x, 3, 1, 1, false, false), Conv.of(out, 1));
    }

    /** {@code MaxPool2d(3, stride=2)}: no padding, floor mode. */
    static Value maxPool(Scope s, Value x) {
        return s.maxPool(x, 3, 2, 0, false);
    }
}
