package org.visionserve.service.security;

/** A request over its caller's rate limit: 429 rate-limited with Retry-After and the RateLimit headers. */
public class RateLimitedException extends RuntimeException {

    private final RateLimiter.Decision decision;

    public RateLimitedException(RateLimiter.Decision decision) {
        super("the rate limit of " + decision.policy().capacity() + " requests per "
                + decision.policy().periodSeconds() + " s (policy '" + decision.policy().name()
                + "') is used up; retry in " + decision.retryAfterSeconds() + " s");
        this.decision = decision;
    }

    public RateLimiter.Decision decision() {
        return decision;
    }
}
