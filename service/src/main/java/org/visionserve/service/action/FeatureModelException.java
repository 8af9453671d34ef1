package org.visionserve.service.action;

/**
 * A feature model the clip pipeline is configured with is missing from the repository or is not a
 * feature model of the expected shape: a deployment problem, not the client's (503).
 */
public class FeatureModelException extends RuntimeException {

    public FeatureModelException(String message) {
        super(message);
    }
}
