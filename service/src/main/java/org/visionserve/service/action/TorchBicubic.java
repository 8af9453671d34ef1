package org.visionserve.service.action;

/**
 * Torch7 {@code image.scale(src, width, height, 'bicubic')} on one float plane, as the reference's
 * {@code transforms.lua Scale} calls it, followed by a crop; matched to the C code
 * ({@code image/generic/image.c}, {@code scaleCubic_rowcol}) operation for operation in float:
 * <ul>
 * <li>separable, rows first (width) into a float temporary, then columns (height);</li>
 * <li>align-corners mapping {@code s = d * ((float) (srcLen - 1) / (dstLen - 1))}, the last output
 *     sample copied from the last input sample, equal lengths copied;</li>
 * <li>Catmull-Rom weights (a = -0.5) in the form {@code p1 + 0.5 * x * (a1 + x * (a2 + x * a3))},
 *     where the 0.5 is a C double, so the last multiply-add is done in double and rounded to float;</li>
 * <li>beyond the edges the missing neighbours are extrapolated linearly ({@code 2 p1 - p2}), not
 *     clamped; no clamping of the result (float tensors).</li>
 * </ul>
 * Only the output rows and columns inside the crop are computed; they equal the full resize's.
 */
final class TorchBicubic {

    private TorchBicubic() {
    }

    /**
     * The {@code Scale(size)} output size: the shorter side becomes {@code size}, the other
     * {@code long/short * size} truncated to an integer (320x240 becomes 341x256).
     *
     * @return {width, height}
     */
    static int[] scaledSize(int width, int height, int size) {
        if (width <= height) {
            return new int[] {size, (int) ((double) height / width * size)};
        }
        return new int[] {(int) ((double) width / height * size), size};
    }

    /** The reference's centre crop offset: {@code ceil((len - crop) / 2)}. */
    static int cropOffset(int len, int crop) {
        return (len - crop + 1) / 2;
    }

    /**
     * Resizes {@code src} ({@code srcH x srcW}, row-major) to {@code dstW x dstH} and writes the window
     * of {@code cropW x cropH} at ({@code left}, {@code top}) of the result into {@code out} at
     * {@code outOffset}. {@code tmp} must hold {@code srcH * cropW} floats.
     */
    static void scaleCrop(float[] src, int srcW, int srcH, int dstW, int dstH, int left, int top, int cropW,
                          int cropH, float[] tmp, float[] out, int outOffset) {
        // rows: every source row, only the destination columns in the crop
        for (int y = 0; y < srcH; y++) {
            for (int i = 0; i < cropW; i++) {
                tmp[y * cropW + i] = sample(src, y * srcW, 1, srcW, dstW, left + i);
            }
        }
        // columns: only the destination rows in the crop
        for (int i = 0; i < cropW; i++) {
            for (int j = 0; j < cropH; j++) {
                out[outOffset + j * cropW + i] = sample(tmp, i, cropW, srcH, dstH, top + j);
            }
        }
    }

    /** Output sample {@code di} of one row or column of {@code srcLen} values (scaleCubic_rowcol). */
    static float sample(float[] src, int start, int stride, int srcLen, int dstLen, int di) {
        if (dstLen == srcLen) {
            return src[start + di * stride];
        }
        if (srcLen == 1 || di == dstLen - 1) {
            return src[start + (srcLen - 1) * stride];
        }
        float scale = dstLen == 1 ? (float) (srcLen - 1) : (float) (srcLen - 1) / (dstLen - 1);
        float sf = di * scale;
        int si = (int) sf;
        sf -= si;
        float p1 = src[start + si * stride];
        float p2 = src[start + (si + 1) * stride];
        float p0 = si > 0 ? src[start + (si - 1) * stride] : 2 * p1 - p2;
        float p3 = si + 2 < srcLen ? src[start + (si + 2) * stride] : 2 * p2 - p1;
        float a1 = p2 - p0;
        float a2 = 2 * p0 - 5 * p1 + 4 * p2 - p3;
        float a3 = 3 * (p1 - p2) + p3 - p0;
        return (float) (p1 + 0.5 * sf * (a1 + sf * (a2 + sf * a3)));
    }
}
