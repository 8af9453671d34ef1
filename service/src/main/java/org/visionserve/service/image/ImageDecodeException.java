package org.visionserve.service.image;

/**
 * Why an uploaded image could not be decoded. The message is meant for the API user;
 * {@link #kind()} picks the HTTP status (415, 400/422, 413).
 */
public class ImageDecodeException extends RuntimeException {

    public enum Kind {
        /** Not a format we read (sniffed from the bytes), or a non-image content type. */
        UNSUPPORTED_MEDIA_TYPE,
        /** A supported format, but truncated or malformed. */
        CORRUPT,
        /** Over a configured limit: see {@link #limit()} and {@link #limitKey()}. */
        TOO_LARGE
    }

    private final Kind kind;
    private final long limit;
    private final String limitKey;

    private ImageDecodeException(Kind kind, String message, long limit, String limitKey, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.limit = limit;
        this.limitKey = limitKey;
    }

    public static ImageDecodeException unsupported(String message) {
        return new ImageDecodeException(Kind.UNSUPPORTED_MEDIA_TYPE, message, -1, null, null);
    }

    public static ImageDecodeException corrupt(String message, Throwable cause) {
        return new ImageDecodeException(Kind.CORRUPT, message, -1, null, cause);
    }

    /** @param limitKey the configuration property that sets {@code limit} */
    public static ImageDecodeException tooLarge(String message, long limit, String limitKey) {
        return new ImageDecodeException(Kind.TOO_LARGE, message, limit, limitKey, null);
    }

    public Kind kind() {
        return kind;
    }

    /** The limit that was exceeded (bytes or pixels); -1 unless {@link Kind#TOO_LARGE}. */
    public long limit() {
        return limit;
    }

    /** The configuration key of {@link #limit()}, e.g. {@code visionserve.limits.max-image-pixels}; null unless TOO_LARGE. */
    public String limitKey() {
        return limitKey;
    }
}
