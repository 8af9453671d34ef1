package org.visionserve.service.security;

import java.util.function.BiConsumer;

/**
 * The IETF draft's headers (draft-ietf-httpapi-ratelimit-headers-09, structured fields): the policy
 * {@code RateLimit-Policy: "infer";q=100;w=60} (quota {@code q} per window {@code w} seconds: a bucket of
 * {@code q} refilled over {@code w}) and the state {@code RateLimit: "infer";r=42;t=5} (tokens remaining
 * {@code r}, seconds {@code t} until the bucket is full again or, when refused, until the next token).
 */
public final class RateLimitHeaders {

    private RateLimitHeaders() {
    }

    public static void apply(RateLimiter.Decision d, BiConsumer<String, String> header) {
        String name = "\"" + d.policy().name() + "\"";
        header.accept("RateLimit-Policy", name + ";q=" + d.policy().capacity() + ";w=" + d.policy().periodSeconds());
        header.accept("RateLimit", name + ";r=" + d.remaining() + ";t=" + d.resetSeconds());
        if (!d.allowed()) {
            header.accept("Retry-After", Long.toString(d.retryAfterSeconds()));
        }
    }
}
