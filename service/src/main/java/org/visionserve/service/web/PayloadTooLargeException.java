package org.visionserve.service.web;

/** A request body over a configured size limit, named with its config key. */
public class PayloadTooLargeException extends RuntimeException {

    private final long limit;
    private final String configKey;

    public PayloadTooLargeException(String message, long limit, String configKey) {
        super(message);
        this.limit = limit;
        this.configKey = configKey;
    }

    public long limit() {
        return limit;
    }

    public String configKey() {
        return configKey;
    }
}
