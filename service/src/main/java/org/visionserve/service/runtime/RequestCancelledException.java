package org.visionserve.service.runtime;

import java.time.Duration;

/**
 * A request's work stopped before its answer: its deadline passed (answered 504), its client went
 * away (nobody to answer; counted as a client abort), or its caller cancelled the operation.
 */
public class RequestCancelledException extends RuntimeException {

    private final RequestScope.Reason reason;
    private final Duration timeout;

    public RequestCancelledException(RequestScope.Reason reason, Duration timeout) {
        super(switch (reason) {
            case DEADLINE -> "the request did not finish within its deadline of " + seconds(timeout) + " s";
            case CLIENT_GONE -> "the client went away";
            case CANCELLED -> "the operation was cancelled";
        });
        this.reason = reason;
        this.timeout = timeout;
    }

    public RequestScope.Reason reason() {
        return reason;
    }

    public Duration timeout() {
        return timeout;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : Double.toString(d.toMillis() / 1000.0);
    }
}
