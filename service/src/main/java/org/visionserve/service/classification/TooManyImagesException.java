package org.visionserve.service.classification;

/** More images in one request than {@code visionserve.limits.max-batch-images} allows. */
public class TooManyImagesException extends RuntimeException {

    public static final String CONFIG_KEY = "visionserve.limits.max-batch-images";

    private final int limit;

    public TooManyImagesException(int count, int limit) {
        super(count + " images in one request; at most " + limit + " are allowed (" + CONFIG_KEY + ")");
        this.limit = limit;
    }

    public int limit() {
        return limit;
    }
}
