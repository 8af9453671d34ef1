package org.visionserve.service.security;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * A token bucket per caller (an API key's name, a JWT's subject), sized by the caller's own entry in
 * {@code visionserve.security.rate-limit.callers} or else the most generous of its roles' entries in
 * {@code ...rate-limit.roles}; callers with neither are not limited. At most {@code max-buckets} buckets
 * are kept: the least recently used one is dropped (its caller starts again with a full bucket), so
 * memory stays bounded however many subjects a token issuer mints.
 */
@Component
public class RateLimiter {

    /** A bucket's size, named for the {@code RateLimit-Policy} header: a role, or {@code caller}. */
    public record Policy(String name, int capacity, long periodSeconds) {
        double perNano() {
            return capacity / (periodSeconds * 1e9);
        }
    }

    /** The answer for one request: allowed or not, the tokens left, and the seconds to wait or to refill. */
    public record Decision(Policy policy, boolean allowed, long remaining, long resetSeconds, long retryAfterSeconds) {
    }

    private static final class Bucket {
        final Policy policy;
        double tokens;
        long at;

        Bucket(Policy policy, long now) {
            this.policy = policy;
            this.tokens = policy.capacity();
            this.at = now;
        }
    }

    private final SecurityProperties.RateLimit config;
    private final LongSupplier clock;
    private final Map<String, Bucket> buckets;

    @Autowired
    public RateLimiter(SecurityProperties props) {
        this(props.rateLimit(), System::nanoTime);
    }

    RateLimiter(SecurityProperties.RateLimit config, LongSupplier clock) {
        this.config = config;
        this.clock = clock;
        int max = config.maxBuckets();
        this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
                return size() > max;
            }
        };
    }

    /** Takes a token from the caller's bucket; null when no limit applies to the caller. */
    public Decision acquire(Caller caller) {
        Policy policy = policy(caller);
        if (policy == null) {
            return null;
        }
        long now = clock.getAsLong();
        synchronized (buckets) {
            Bucket b = buckets.get(caller.name());
            if (b == null || !b.policy.equals(policy)) {
                b = new Bucket(policy, now);
                buckets.put(caller.name(), b);
            }
            double rate = policy.perNano();
            b.tokens = Math.min(policy.capacity(), b.tokens + (now - b.at) * rate);
            b.at = now;
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return new Decision(policy, true, (long) Math.floor(b.tokens),
                        seconds((policy.capacity() - b.tokens) / rate), 0);
            }
            long retry = Math.max(1, seconds((1 - b.tokens) / rate));
            return new Decision(policy, false, 0, retry, retry);
        }
    }

    int bucketCount() {
        synchronized (buckets) {
            return buckets.size();
        }
    }

    Policy policy(Caller caller) {
        SecurityProperties.Bucket own = config.callers().get(caller.name());
        if (own != null) {
            return new Policy("caller", own.capacity(), Math.max(1, own.period().toSeconds()));
        }
        Policy best = null;
        for (String role : caller.roles()) {
            SecurityProperties.Bucket b = config.roles().get(role);
            if (b != null) {
                Policy p = new Policy(role, b.capacity(), Math.max(1, b.period().toSeconds()));
                if (best == null || p.perNano() > best.perNano()) {
                    best = p;
                }
            }
        }
        return best;
    }

    private static long seconds(double nanos) {
        return (long) Math.ceil(nanos / 1e9);
    }
}
