package org.visionserve.service.image;

/**
 * Pillow's {@code Image.resize(size, BICUBIC)} on 8-bit RGB, bit for bit (Pillow's
 * {@code libImaging/Resample.c}; spec: classification.md, "Preprocessing (eval)").
 *
 * <p>Two separable passes, horizontal first, with a uint8 intermediate image; a pass is skipped
 * when its dimension does not change. When downscaling the cubic kernel is stretched by the scale
 * factor (antialiasing). Weights are computed in double, normalised per output sample, then fixed
 * point with 22 fractional bits, so the inner loops are integer multiply-adds.
 */
public final class PillowResize {

    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);
    private static final double BICUBIC_SUPPORT = 2.0;
    private static final double A = -0.5;

    private PillowResize() {
    }

    public static RgbImage resize(RgbImage src, int width, int height) {
        return resizeWindow(src, width, height, 0, 0, width, height);
    }

    /**
     * The window {@code [left, left + w) x [top, top + h)} of {@code resize(src, width, height)},
     * computed without the rest: the same taps and the same uint8 intermediate, so the pixels are
     * identical to resizing everything and cropping (a centre crop then costs about half the work).
     */
    public static RgbImage resizeWindow(RgbImage src, int width, int height, int left, int top, int w, int h) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("target size must be positive: " + width + "x" + height);
        }
        if (left < 0 || top < 0 || w <= 0 || h <= 0 || left > width - w || top > height - h) {
            throw new IllegalArgumentException("window " + w + "x" + h + " at (" + left + ", " + top
                    + ") is not inside " + width + "x" + height);
        }
        boolean needHorizontal = width != src.width();
        boolean needVertical = height != src.height();
        // Taps only for the window's outputs: no array is sized by the target size, which an extreme
        // aspect ratio makes huge (1 x 40,000,000 resized to a 224 shorter side).
        Coeffs vertical = needVertical ? Coeffs.of(src.height(), height, top, h) : null;
        // The source rows the vertical pass reads for output rows [top, top + h) (as Pillow does; same result).
        int firstRow = needVertical ? vertical.start[0] : top;
        int rows = needVertical ? vertical.start[h - 1] + vertical.count[h - 1] - firstRow : h;
        byte[] pixels = needHorizontal
                ? horizontalPass(src.pixels(), src.width(), firstRow, rows, Coeffs.of(src.width(), width, left, w))
                : copyWindow(src.pixels(), src.width(), firstRow, rows, left, w);
        if (needVertical) {
            pixels = verticalPass(pixels, w, firstRow, vertical);
        }
        return new RgbImage(w, h, pixels);
    }

    /** Rows {@code [firstRow, firstRow + rows)}, columns {@code [left, left + w)} of an RGB image. */
    private static byte[] copyWindow(byte[] in, int inWidth, int firstRow, int rows, int left, int w) {
        byte[] out = new byte[rows * w * 3];
        for (int y = 0; y < rows; y++) {
            System.arraycopy(in, ((firstRow + y) * inWidth + left) * 3, out, y * w * 3, w * 3);
        }
        return out;
    }

    /** Resamples rows {@code [firstRow, firstRow + rows)} to the output columns of {@code c}'s window. */
    private static byte[] horizontalPass(byte[] in, int inWidth, int firstRow, int rows, Coeffs c) {
        int k = c.ksize;
        int w = c.start.length;
        byte[] out = new byte[rows * w * 3];
        int[] wt = c.weights;
        for (int y = 0; y < rows; y++) {
            int rowIn = (firstRow + y) * inWidth * 3;
            int o = y * w * 3;
            for (int x = 0; x < w; x++) {
                int p = rowIn + c.start[x] * 3;
                int wi = x * k;
                int s0 = HALF;
                int s1 = HALF;
                int s2 = HALF;
                for (int j = 0, n = c.count[x]; j < n; j++, p += 3) {
                    int wj = wt[wi + j];
                    s0 += (in[p] & 0xff) * wj;
                    s1 += (in[p + 1] & 0xff) * wj;
                    s2 += (in[p + 2] & 0xff) * wj;
                }
                out[o++] = clip8(s0);
                out[o++] = clip8(s1);
                out[o++] = clip8(s2);
            }
        }
        return out;
    }

    /** Resamples to the output rows of {@code c}'s window; {@code in}'s row 0 is source row {@code firstRow}. */
    private static byte[] verticalPass(byte[] in, int width, int firstRow, Coeffs c) {
        int h = c.start.length;
        int stride = width * 3;
        byte[] out = new byte[h * stride];
        int[] acc = new int[stride];
        for (int y = 0; y < h; y++) {
            java.util.Arrays.fill(acc, HALF);
            int wi = y * c.ksize;
            // Row by row so the reads stay sequential.
            for (int j = 0, n = c.count[y]; j < n; j++) {
                int wj = c.weights[wi + j];
                int rowIn = (c.start[y] - firstRow + j) * stride;
                for (int i = 0; i < stride; i++) {
                    acc[i] += (in[rowIn + i] & 0xff) * wj;
                }
            }
            int o = y * stride;
            for (int i = 0; i < stride; i++) {
                out[o + i] = clip8(acc[i]);
            }
        }
        return out;
    }

    private static byte clip8(int v) {
        int s = v >> PRECISION_BITS;
        return (byte) (s < 0 ? 0 : Math.min(s, 255));
    }

    static double bicubic(double x) {
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((A + 2.0) * x - (A + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * A;
        }
        return 0.0;
    }

    /**
     * One pass's taps for the outputs {@code first .. first + n - 1}: output {@code first + i} reads sources
     * {@code start[i] .. start[i]+count[i]-1} with fixed-point weights.
     */
    private record Coeffs(int ksize, int[] start, int[] count, int[] weights) {

        /**
         * Pillow's {@code precompute_coeffs} + {@code normalize_coeffs_8bpc} for outputs {@code [first, first + n)}
         * of a resize from {@code inSize} to {@code outSize}: each output's taps depend only on its index, so
         * these are the same as the whole pass's.
         */
        static Coeffs of(int inSize, int outSize, int first, int n) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = BICUBIC_SUPPORT * filterScale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            int[] start = new int[n];
            int[] count = new int[n];
            int[] weights = new int[n * ksize];
            double[] k = new double[ksize];
            double ss = 1.0 / filterScale;
            for (int i = 0; i < n; i++) {
                double center = (first + i + 0.5) * scale;
                // C's (int) cast truncates toward zero, as Java's does.
                int xmin = Math.max((int) (center - support + 0.5), 0);
                int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
                double sum = 0.0;
                for (int j = 0; j < xmax; j++) {
                    double w = bicubic((j + xmin - center + 0.5) * ss);
                    k[j] = w;
                    sum += w;
                }
                for (int j = 0; j < xmax; j++) {
                    double w = sum != 0.0 ? k[j] / sum : k[j];
                    // Round half away from zero, as (int)(w * 2^22 +- 0.5) in C.
                    weights[i * ksize + j] = (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS)
                            : 0.5 + w * (1 << PRECISION_BITS));
                }
                start[i] = xmin;
                count[i] = xmax;
            }
            return new Coeffs(ksize, start, count, weights);
        }
    }
}
