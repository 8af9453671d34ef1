package org.visionserve.export.weights;

/** A checkpoint that does not fit the architecture, or cannot be read. The message names the key. */
public class WeightsException extends RuntimeException {

    public WeightsException(String message) {
        super(message);
    }

    public WeightsException(String message, Throwable cause) {
        super(message, cause);
    }
}
