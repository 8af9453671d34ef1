package org.visionserve.service.image;

/**
 * An 8-bit RGB image, interleaved and row-major (HWC): the sample of channel {@code c} at
 * {@code (x, y)} is {@code pixels[(y * width + x) * 3 + c] & 0xff}.
 */
public record RgbImage(int width, int height, byte[] pixels) {

    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
        }
        if (pixels.length != (long) width * height * 3) {
            throw new IllegalArgumentException("expected " + (long) width * height * 3 + " bytes for "
                    + width + "x" + height + " RGB, got " + pixels.length);
        }
    }

    /** Channel {@code c} (0 = R, 1 = G, 2 = B) at {@code (x, y)}, 0..255. */
    public int sample(int x, int y, int c) {
        return pixels[(y * width + x) * 3 + c] & 0xff;
    }
}
