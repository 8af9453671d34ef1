package org.visionserve.service.action;

import java.time.Duration;
import java.util.Locale;

/**
 * Bounds on an uploaded clip, checked from the container metadata (or each frame image's header)
 * before anything is decoded, and enforced again while decoding (metadata can be missing or lie).
 * Decoded frames are kept as 8-bit RGB, so the memory of one clip is at most
 * {@code maxFrames * maxPixels * 3} bytes.
 *
 * @param maxBytes       upload size (container bytes, or the sum of the frame images)
 * @param maxDuration    presentation time of the last frame
 * @param maxFrames      decoded video frames
 * @param maxPixels      width * height of a frame
 * @param maxAspectRatio long side / short side of a frame: within the pixel limit a 1 x 307,200 frame
 *                       would still make every per-row buffer of the resize and the flow long
 */
public record ClipLimits(long maxBytes, Duration maxDuration, int maxFrames, long maxPixels, int maxAspectRatio) {

    /** 64 MiB, 30 s, 750 frames (30 s at 25 fps), 640x480, 1:10: at most ~690 MB of decoded frames. */
    public static final ClipLimits DEFAULT = new ClipLimits(64L << 20, Duration.ofSeconds(30), 750, 640L * 480, 10);

    /** The bounds, so a refusal can name the one passed (and the web layer its config key). */
    public enum Bound {
        BYTES, DURATION, FRAMES, PIXELS, ASPECT_RATIO,
        /** {@link Timeline.Limits}: the longest video a timeline is made of, and its most windows. */
        TIMELINE_DURATION, TIMELINE_WINDOWS
    }

    public ClipLimits {
        if (maxBytes <= 0 || maxFrames <= 0 || maxPixels <= 0 || maxAspectRatio < 1 || maxDuration == null
                || maxDuration.isNegative() || maxDuration.isZero()) {
            throw new IllegalArgumentException("clip limits must be positive: " + maxBytes + " bytes, "
                    + maxDuration + ", " + maxFrames + " frames, " + maxPixels + " pixels, aspect ratio "
                    + maxAspectRatio);
        }
    }

    /** The four older bounds, with the default aspect ratio. */
    public ClipLimits(long maxBytes, Duration maxDuration, int maxFrames, long maxPixels) {
        this(maxBytes, maxDuration, maxFrames, maxPixels, DEFAULT.maxAspectRatio());
    }

    void checkBytes(long bytes) {
        if (bytes > maxBytes) {
            throw new ClipDecodeException("upload of " + bytes + " bytes exceeds the limit of " + maxBytes + " bytes",
                    Bound.BYTES, maxBytes);
        }
    }

    /** A frame's declared or decoded size: its pixels and its shape. */
    void checkSize(int width, int height) {
        if ((long) width * height > maxPixels) {
            throw new ClipDecodeException("frame size " + width + "x" + height
                    + " exceeds the limit of " + maxPixels + " pixels per frame", Bound.PIXELS, maxPixels);
        }
        double ratio = (double) Math.max(width, height) / Math.max(1, Math.min(width, height));
        if (ratio > maxAspectRatio) {
            throw new ClipDecodeException(String.format(Locale.ROOT, "frame size %dx%d: its long side is %.1f"
                    + " times its short side, more than the limit of %d", width, height, ratio, maxAspectRatio),
                    Bound.ASPECT_RATIO, maxAspectRatio);
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
