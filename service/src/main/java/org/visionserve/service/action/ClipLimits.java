package org.visionserve.service.action;

import java.time.Duration;

/**
 * Bounds on an uploaded clip, checked from the container metadata before decoding and enforced
 * again while decoding (metadata can be missing or lie). Decoded frames are kept as 8-bit RGB, so
 * the memory of one clip is at most {@code maxFrames * maxPixels * 3} bytes.
 *
 * @param maxBytes    upload size (container bytes, or the sum of the frame images)
 * @param maxDuration presentation time of the last frame
 * @param maxFrames   decoded video frames
 * @param maxPixels   width * height of a frame
 */
public record ClipLimits(long maxBytes, Duration maxDuration, int maxFrames, long maxPixels) {

    /** 64 MiB, 30 s, 750 frames (30 s at 25 fps), 640x480: at most ~690 MB of decoded frames. */
    public static final ClipLimits DEFAULT = new ClipLimits(64L << 20, Duration.ofSeconds(30), 750, 640L * 480);

    /** The four bounds, so a refusal can name the one passed (and the web layer its config key). */
    public enum Bound { BYTES, DURATION, FRAMES, PIXELS }

    public ClipLimits {
        if (maxBytes <= 0 || maxFrames <= 0 || maxPixels <= 0 || maxDuration == null || maxDuration.isNegative()
                || maxDuration.isZero()) {
            throw new IllegalArgumentException("clip limits must be positive: " + maxBytes + " bytes, "
                    + maxDuration + ", " + maxFrames + " frames, " + maxPixels + " pixels");
        }
    }

    void checkBytes(long bytes) {
        if (bytes > maxBytes) {
            throw new ClipDecodeException("upload of " + bytes + " bytes exceeds the limit of " + maxBytes + " bytes",
                    Bound.BYTES, maxBytes);
        }
    }

    void checkSize(int width, int height) {
        if ((long) width * height > maxPixels) {
            throw new ClipDecodeException("frame size " + width + "x" + height
                    + " exceeds the limit of " + maxPixels + " pixels per frame", Bound.PIXELS, maxPixels);
        }
    }

    void checkFrames(long frames) {
        if (frames > maxFrames) {
            throw new ClipDecodeException("clip has more than " + maxFrames + " frames (the limit)", Bound.FRAMES, maxFrames);
        }
    }

    void checkDuration(long micros) {
        if (micros > maxDuration.toNanos() / 1000) {
            throw new ClipDecodeException("clip is longer than the limit of "
                    + maxDuration.toMillis() / 1000.0 + " s", Bound.DURATION,
                    maxDuration.toMillis());
        }
    }
}
