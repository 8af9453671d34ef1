package org.visionserve.service.inference;

/** A request over a size limit before any of it is read or run (the limit's key is in the message): 413. */
public class TensorTooLargeException extends RuntimeException {

    public TensorTooLargeException(String message) {
        super(message);
    }
}
