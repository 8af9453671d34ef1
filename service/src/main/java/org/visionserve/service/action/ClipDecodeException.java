package org.visionserve.service.action;

/**
 * A clip that cannot be turned into frames; {@link #kind()} says which problem+json status fits
 * (suggested: UNSUPPORTED 415, CORRUPT 422, TOO_LARGE 413, TOO_SHORT 422) and the message says
 * what was wrong in words a client can act on.
 */
public class ClipDecodeException extends RuntimeException {

    public enum Kind {
        /** Not a video container we accept (MP4, MOV, WebM/Matroska, AVI), no video stream, not an image. */
        UNSUPPORTED,
        /** Looks like a supported container or image but cannot be decoded (truncated, damaged, empty). */
        CORRUPT,
        /** Over one of the {@link ClipLimits}. */
        TOO_LARGE,
        /** Fewer frames than the sampling needs. */
        TOO_SHORT
    }

    private final Kind kind;
    private final ClipLimits.Bound bound;
    private final long limit;

    public ClipDecodeException(Kind kind, String message) {
        this(kind, message, (Throwable) null);
    }

    public ClipDecodeException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.bound = null;
        this.limit = -1;
    }

    /** A {@link Kind#TOO_LARGE} refusal, naming the bound passed and its value (milliseconds for the duration). */
    public ClipDecodeException(String message, ClipLimits.Bound bound, long limit) {
        super(message);
        this.kind = Kind.TOO_LARGE;
        this.bound = bound;
        this.limit = limit;
    }

    public Kind kind() {
        return kind;
    }

    /** Which of the {@link ClipLimits} was passed, for {@link Kind#TOO_LARGE}; null otherwise. */
    public ClipLimits.Bound bound() {
        return bound;
    }

    /** The value of {@link #bound()} (bytes, milliseconds, frames or pixels); -1 if none. */
    public long limit() {
        return limit;
    }
}
