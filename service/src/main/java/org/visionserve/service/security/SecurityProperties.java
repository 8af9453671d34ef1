package org.visionserve.service.security;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code visionserve.security.*}. Authentication is on when an API keys file is named or a JWT issuer /
 * JWK set is configured ({@code spring.security.oauth2.resourceserver.jwt.*}); without either every
 * endpoint is open.
 *
 * @param apiKeysFile         lines {@code ROLE KEY [NAME]} or {@code ROLE sha256:HEX [NAME]}; re-read when it changes
 * @param apiKeysReloadInterval how often the file is checked for changes (on the next request after it)
 * @param jwt                 how callers are read from a bearer JWT
 * @param rateLimit           token buckets per caller, sized per role or per caller name
 * @param apiDocsPublic       with authentication on: whether {@code /v3/api-docs} and Swagger UI stay open (the
 *                            public API's description, as committed in docs/openapi.json) or need {@code infer}
 */
@ConfigurationProperties("visionserve.security")
public record SecurityProperties(Path apiKeysFile, @DefaultValue("5s") Duration apiKeysReloadInterval,
                                 @DefaultValue Jwt jwt, @DefaultValue RateLimit rateLimit,
                                 @DefaultValue("true") boolean apiDocsPublic) {

    /**
     * @param rolesClaim the claim with the caller's roles: a list or a space-separated string; a dotted
     *                   path reads a nested claim (Keycloak: {@code realm_access.roles})
     * @param nameClaim  the claim naming the caller (audit log, rate limit bucket)
     */
    public record Jwt(@DefaultValue("roles") String rolesClaim, @DefaultValue("sub") String nameClaim) {
    }

    /**
     * @param roles      bucket per role (a caller with several takes the most generous one)
     * @param callers    bucket per caller name (API key name or JWT subject), before its roles
     * @param maxBuckets callers tracked at once; the least recently seen bucket is dropped beyond it
     */
    public record RateLimit(Map<String, Bucket> roles, Map<String, Bucket> callers,
                            @DefaultValue("10000") int maxBuckets) {
        public RateLimit {
            roles = roles == null ? Map.of() : Map.copyOf(roles);
            callers = callers == null ? Map.of() : Map.copyOf(callers);
            if (maxBuckets < 1) {
                throw new IllegalArgumentException("visionserve.security.rate-limit.max-buckets must be at least 1");
            }
        }
    }

    /**
     * A token bucket: {@code capacity} requests at once, refilled at {@code capacity} per {@code period}.
     */
    public record Bucket(int capacity, @DefaultValue("1m") Duration period) {
        public Bucket {
            if (capacity < 1 || period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("a rate limit needs a capacity of at least 1 and a positive period");
            }
        }
    }
}
