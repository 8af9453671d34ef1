package org.visionserve.service.segmentation;

/**
 * An uploaded volume or slice that cannot be used as it is: the message names the problem in terms a
 * person can act on ("header says 36x256x256 int16 = 4718592 bytes, file has 1000"). The web layer maps
 * it to 400 problem+json, except {@link Kind#TOO_LARGE} (413 is the natural choice).
 */
public class VolumeFormatException extends Exception {

    /** What went wrong, for the problem type; the message carries the details. */
    public enum Kind {
        /** Not the expected format at all (no NIfTI sizeof_hdr/magic, not a PNG). */
        NOT_RECOGNISED,
        /** The header contradicts itself or the standard (dims, pixdim, vox_offset, singular affine). */
        INVALID_HEADER,
        /** Valid, but outside what the service handles (datatype, 4-D series, colour PNG, slice size). */
        UNSUPPORTED,
        /** The header's sizes do not match the bytes that follow it. */
        SIZE_MISMATCH,
        /** The gzip stream ends early or is corrupt. */
        TRUNCATED,
        /** Over a configured limit ({@link VolumeLimits}); checked from the header before allocating. */
        TOO_LARGE
    }

    private final Kind kind;

    public VolumeFormatException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public VolumeFormatException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
