package org.visionserve.service.image;

/**
 * What the decoder accepts, all checked from the header before any pixel is decoded (so a small file
 * declaring a huge or absurdly shaped image is refused without allocating it): at most {@code maxBytes}
 * of encoded image, {@code maxPixels} (width x height as declared), and a long side at most
 * {@code maxAspectRatio} times the short one.
 *
 * <p>The aspect ratio bounds what the preprocessing makes of an image within the pixel limit: resizing
 * the shorter side of a 40,000,000 x 1 image to 224 would make it 8,960,000,000 pixels long. It is
 * capped at {@link #ASPECT_RATIO_CAP} so that any resized side fits an int.
 */
public record ImageLimits(long maxBytes, long maxPixels, int maxAspectRatio) {

    public static final String MAX_BYTES_KEY = "visionserve.limits.max-image-bytes";
    public static final String MAX_PIXELS_KEY = "visionserve.limits.max-image-pixels";
    public static final String MAX_ASPECT_RATIO_KEY = "visionserve.limits.max-image-aspect-ratio";
    public static final int DEFAULT_MAX_ASPECT_RATIO = 100;
    public static final int ASPECT_RATIO_CAP = 10_000;

    public ImageLimits {
        if (maxBytes <= 0 || maxPixels <= 0) {
            throw new IllegalArgumentException("image limits must be positive: " + MAX_BYTES_KEY + "=" + maxBytes
                    + ", " + MAX_PIXELS_KEY + "=" + maxPixels);
        }
        if (maxAspectRatio < 1 || maxAspectRatio > ASPECT_RATIO_CAP) {
            throw new IllegalArgumentException(MAX_ASPECT_RATIO_KEY + " must be between 1 and " + ASPECT_RATIO_CAP
                    + ", got " + maxAspectRatio);
        }
    }

    /** Bytes and pixels as given, the default aspect-ratio bound. */
    public ImageLimits(long maxBytes, long maxPixels) {
        this(maxBytes, maxPixels, DEFAULT_MAX_ASPECT_RATIO);
    }
}
