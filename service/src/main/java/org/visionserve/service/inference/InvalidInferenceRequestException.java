package org.visionserve.service.inference;

/** An inference request the protocol or the model refuses (bad tensor, shape, datatype, parameter): 400. */
public class InvalidInferenceRequestException extends RuntimeException {

    public InvalidInferenceRequestException(String message) {
        super(message);
    }
}
