package org.visionserve.service.image;

import java.nio.FloatBuffer;
import org.visionserve.export.models.Preprocessing;

/**
 * timm's eval transform (torchvision {@code Resize(S)}, {@code CenterCrop(size)}, {@code ToTensor},
 * {@code Normalize}) on a decoded image, reproducing the reference bit for bit up to the float32
 * tensor (spec: classification.md, "Preprocessing (eval)").
 */
public final class ImagePreprocessor {

    private ImagePreprocessor() {
    }

    /** Resize the shorter side to {@code p.resizeShorterSide()} (Pillow bicubic), then centre crop {@code p.inputSize()}. */
    public static RgbImage resizeAndCrop(RgbImage image, Preprocessing p) {
        if (!"bicubic".equals(p.interpolation()) || (p.cropMode() != null && !"center".equals(p.cropMode()))) {
            throw new IllegalArgumentException("only bicubic resize with centre crop is implemented, not "
                    + p.interpolation() + "/" + p.cropMode());
        }
        int[] size = resizedSize(image.width(), image.height(), p.resizeShorterSide());
        int crop = p.inputSize();
        int left = cropOffset(size[0], crop);
        int top = cropOffset(size[1], crop);
        // Only the part of the crop window inside the resized image is resampled (all of it, unless
        // torchvision pads a side shorter than the crop): identical pixels, about half the resize work,
        // and nothing is allocated for the rest of the resized image, however long its long side.
        int x0 = Math.max(0, left);
        int y0 = Math.max(0, top);
        int w = Math.min(size[0], left + crop) - x0;
        int h = Math.min(size[1], top + crop) - y0;
        RgbImage window = PillowResize.resizeWindow(image, size[0], size[1], x0, y0, w, h);
        return w == crop && h == crop ? window : centerCrop(window, crop);
    }

    /**
     * torchvision's {@code Resize(s)}: the shorter side becomes s, the longer {@code int(s * long / short)}.
     * The caller bounds the aspect ratio ({@link ImageLimits#maxAspectRatio()}) so that this fits an int.
     */
    public static int[] resizedSize(int w, int h, int s) {
        // Python's true division is the correctly rounded double quotient, as here; int() truncates.
        if (w <= h) {
            return new int[] {s, (int) ((double) ((long) s * h) / w)};
        }
        return new int[] {(int) ((double) ((long) s * w) / h), s};
    }

    /**
     * torchvision's {@code center_crop}: offset {@code round((n - size) / 2)}, half to even; a side
     * shorter than {@code size} is zero-padded ({@code (size - n) // 2} before) as torchvision pads it.
     */
    static RgbImage centerCrop(RgbImage image, int size) {
        int left = cropOffset(image.width(), size);
        int top = cropOffset(image.height(), size);
        byte[] src = image.pixels();
        byte[] dst = new byte[size * size * 3];
        int x0 = Math.max(0, -left);
        int x1 = Math.min(size, image.width() - left);
        for (int y = 0; y < size; y++) {
            int sy = y + top;
            if (sy < 0 || sy >= image.height()) {
                continue;
            }
            System.arraycopy(src, (sy * image.width() + left + x0) * 3, dst, (y * size + x0) * 3, (x1 - x0) * 3);
        }
        return new RgbImage(size, size, dst);
    }

    private static int cropOffset(int n, int size) {
        return n >= size ? (int) Math.rint((n - size) / 2.0) : -((size - n) / 2);
    }

    /**
     * Writes the CHW float32 tensor {@code (float(v) / 255 - mean[c]) / std[c]} of a cropped image
     * into {@code dst} at its position, advancing it by {@code 3 * size * size} (so a batch can be
     * filled image after image in one direct buffer).
     */
    public static void toTensor(RgbImage cropped, Preprocessing p, FloatBuffer dst) {
        int size = p.inputSize();
        if (cropped.width() != size || cropped.height() != size) {
            throw new IllegalArgumentException("expected a " + size + "x" + size + " crop, got "
                    + cropped.width() + "x" + cropped.height());
        }
        float[][] lut = lookupTable(p);
        byte[] px = cropped.pixels();
        float[] row = new float[size];
        for (int c = 0; c < 3; c++) {
            float[] t = lut[c];
            for (int y = 0; y < size; y++) {
                for (int x = 0, i = y * size * 3 + c; x < size; x++, i += 3) {
                    row[x] = t[px[i] & 0xff];
                }
                dst.put(row);
            }
        }
    }

    /** Resize, crop and normalise into a new CHW array. */
    public static float[] preprocess(RgbImage image, Preprocessing p) {
        float[] out = new float[3 * p.inputSize() * p.inputSize()];
        toTensor(resizeAndCrop(image, p), p, FloatBuffer.wrap(out));
        return out;
    }

    /** The 256 possible outputs per channel, computed exactly as torch does (float32 divide, subtract, divide). */
    private static float[][] lookupTable(Preprocessing p) {
        float[][] lut = new float[3][256];
        for (int c = 0; c < 3; c++) {
            float mean = p.mean()[c];
            float std = p.std()[c];
            for (int v = 0; v < 256; v++) {
                lut[c][v] = ((float) v / 255f - mean) / std;
            }
        }
        return lut;
    }
}
