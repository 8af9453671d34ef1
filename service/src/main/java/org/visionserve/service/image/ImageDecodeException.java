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
        /** Over a configured limit: see {@link #limit()} and {@link #configKey()}. */
        TOO_LARGE
    }

    private final Kind kind;
    private final long limit;
    private final String configKey;

    /** {@code limit} and {@code configKey} matter only for {@link Kind#TOO_LARGE}; pass -1 and null otherwise. */
    public ImageDecodeException(Kind kind, String message, long limit, String configKey) {
        this(kind, message, limit, configKey, null);
    }

    private ImageDecodeException(Kind kind, String message, long limit, String configKey, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.limit = limit;
        this.configKey = configKey;
    }

    public static ImageDecodeException unsupported(String message) {
        return new ImageDecodeException(Kind.UNSUPPORTED_MEDIA_TYPE, message, -1, null, null);
    }

    public static ImageDecodeException corrupt(String message, Throwable cause) {
        return new ImageDecodeException(Kind.CORRUPT, message, -1, null, cause);
    }

    /** @param configKey the configuration property that sets {@code limit} */
    public static ImageDecodeException tooLarge(String message, long limit, String configKey) {
        return new ImageDecodeException(Kind.TOO_LARGE, message, limit, configKey, null);
    }

    public Kind kind() {
        return kind;
    }

    /** The limit that was exceeded (bytes or pixels); -1 unless {@link Kind#TOO_LARGE}. */
    public long limit() {
        return limit;
    }

    /** The configuration key of {@link #limit()}, e.g. {@code visionserve.limits.max-image-pixels}; null unless TOO_LARGE. */
    public String configKey() {
        return configKey;
    }
}
