package org.visionserve.export.graph;

/**
 * The hyper-parameters of a 2-D convolution, spelled as PyTorch's {@code nn.Conv2d} takes them:
 * {@code Conv.k(3).stride(2).pad(1)}. Padding is per side (top, left, bottom, right) so that
 * asymmetric padding can be expressed; {@code pad(p)} and {@code pad(ph, pw)} are symmetric.
 */
public record Conv(int outChannels, int kh, int kw, int sh, int sw, int padTop, int padLeft, int padBottom,
                   int padRight, int dh, int dw, int groups, boolean bias) {

    /** A square k x k convolution to {@code out} channels, stride 1, no padding, with bias. */
    public static Conv of(int out, int k) {
        return new Conv(out, k, k, 1, 1, 0, 0, 0, 0, 1, 1, 1, true);
    }

    /** A kh x kw convolution (e.g. 1x7) to {@code out} channels. */
    public static Conv of(int out, int kh, int kw) {
        return new Conv(out, kh, kw, 1, 1, 0, 0, 0, 0, 1, 1, 1, true);
    }

    public Conv stride(int s) {
        return new Conv(outChannels, kh, kw, s, s, padTop, padLeft, padBottom, padRight, dh, dw, groups, bias);
    }

    public Conv pad(int p) {
        return pad(p, p);
    }

    public Conv pad(int ph, int pw) {
        return pads(ph, pw, ph, pw);
    }

    public Conv pads(int top, int left, int bottom, int right) {
        return new Conv(outChannels, kh, kw, sh, sw, top, left, bottom, right, dh, dw, groups, bias);
    }

    public Conv dilation(int d) {
        return new Conv(outChannels, kh, kw, sh, sw, padTop, padLeft, padBottom, padRight, d, d, groups, bias);
    }

    public Conv groups(int g) {
        return new Conv(outChannels, kh, kw, sh, sw, padTop, padLeft, padBottom, padRight, dh, dw, g, bias);
    }

    /** Depthwise: one group per channel (out channels = in channels * multiplier). */
    public Conv depthwise() {
        return groups(outChannels);
    }

    public Conv noBias() {
        return new Conv(outChannels, kh, kw, sh, sw, padTop, padLeft, padBottom, padRight, dh, dw, groups, false);
    }

    long outSize(long in, boolean height) {
        int k = height ? kh : kw;
        int s = height ? sh : sw;
        int d = height ? dh : dw;
        int p = height ? padTop + padBottom : padLeft + padRight;
        return in < 0 ? -1 : Math.floorDiv(in + p - d * (k - 1) - 1, s) + 1;
    }

    // ---- IVD-Net ------------------------------------------------------------------------------

    /** Separate dilations for height and width, e.g. {@code (d, 1)} for a dilated k x 1 conv. */
    public Conv dilation(int dh, int dw) {
        return new Conv(outChannels, kh, kw, sh, sw, padTop, padLeft, padBottom, padRight, dh, dw, groups, bias);
    }
}
