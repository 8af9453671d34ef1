package org.visionserve.service.image;

/**
 * What the decoder accepts: at most {@code maxBytes} of encoded image and at most
 * {@code maxPixels} (width x height as the header declares it, checked before any pixel is decoded,
 * so a small file declaring a huge image is refused without allocating it).
 */
public record ImageLimits(long maxBytes, long maxPixels) {

    public static final String MAX_BYTES_KEY = "visionserve.limits.max-image-bytes";
    public static final String MAX_PIXELS_KEY = "visionserve.limits.max-image-pixels";

    public ImageLimits {
        if (maxBytes <= 0 || maxPixels <= 0) {
            throw new IllegalArgumentException("image limits must be positive: " + MAX_BYTES_KEY + "=" + maxBytes
                    + ", " + MAX_PIXELS_KEY + "=" + maxPixels);
        }
    }
}
