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

    public ClipDecodeException(Kind kind, String message) {
        this(kind, message, null);
    }

    public ClipDecodeException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
