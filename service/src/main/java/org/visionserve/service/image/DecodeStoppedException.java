package org.visionserve.service.image;

/**
 * A decode given up part way because its caller said stop (its request's deadline passed or its client
 * went away): nothing is wrong with the image; the caller turns this into its own cancellation.
 */
public class DecodeStoppedException extends RuntimeException {

    public DecodeStoppedException() {
        super("the decode was stopped by its caller", null, false, false);
    }
}
