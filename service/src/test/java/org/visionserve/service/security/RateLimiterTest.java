package org.visionserve.service.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

    final AtomicLong clock = new AtomicLong();

    RateLimiter limiter(int maxBuckets) {
        return new RateLimiter(new SecurityProperties.RateLimit(
                Map.of("infer", new SecurityProperties.Bucket(2, Duration.ofSeconds(10)),
                        "admin", new SecurityProperties.Bucket(100, Duration.ofSeconds(10))),
                Map.of("vip", new SecurityProperties.Bucket(1, Duration.ofSeconds(60))), maxBuckets), clock::get);
    }

    @Test
    void bucketEmptiesThenRefillsAtItsRate() {
        RateLimiter l = limiter(10);
        Caller c = new Caller("a", Set.of("infer"));
        assertThat(l.acquire(c).remaining()).isEqualTo(1);
        assertThat(l.acquire(c).remaining()).isZero();
        RateLimiter.Decision refused = l.acquire(c);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterSeconds()).isEqualTo(5); // 2 per 10 s: one token every 5 s
        clock.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(l.acquire(c).allowed()).isTrue();
        assertThat(l.acquire(c).allowed()).isFalse();
    }

    @Test
    void callerEntryFirstThenMostGenerousRoleElseNoLimit() {
        RateLimiter l = limiter(10);
        assertThat(l.policy(new Caller("vip", Set.of("admin"))).name()).isEqualTo("caller");
        assertThat(l.policy(new Caller("ops", Set.of("admin"))).name()).isEqualTo("admin");
        assertThat(l.acquire(new Caller("x", Set.of()))).isNull();
    }

    @Test
    void bucketsAreBounded() {
        RateLimiter l = limiter(3);
        for (int i = 0; i < 50; i++) {
            l.acquire(new Caller("subject-" + i, Set.of("infer")));
        }
        assertThat(l.bucketCount()).isEqualTo(3);
    }
}
