package org.visionserve.service.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Everything under {@code visionserve.operations.*}: asynchronous operations ({@code Prefer: respond-async}
 * on recognize and segment).
 *
 * @param store     {@code memory} (this replica only) or {@code redis} (shared by every replica)
 * @param retention how long a finished operation and its result are kept
 * @param maxCount  operations kept at most (the oldest finished go first)
 * @param maxBytes  results kept at most, all operations together (the oldest finished go first)
 * @param deadline  an operation's deadline from its submission; unset: the task's
 *                  ({@code visionserve.deadlines.recognize / segment})
 * @param redis     the shared store's server
 */
@ConfigurationProperties("visionserve.operations")
public record OperationsProperties(@DefaultValue("memory") Store store,
                                   @DefaultValue("1h") Duration retention,
                                   @DefaultValue("1000") int maxCount,
                                   @DefaultValue("512MB") DataSize maxBytes,
                                   Duration deadline,
                                   @DefaultValue Redis redis) {

    /** Where operations are kept. */
    public enum Store { MEMORY, REDIS }

    /**
     * @param url       {@code redis://[user:password@]host:port[/database]} (or {@code rediss://} for TLS)
     * @param keyPrefix prefix of every key and of the cancel channel: replicas sharing it share operations
     */
    public record Redis(@DefaultValue("redis://localhost:6379") String url,
                        @DefaultValue("visionserve:operations:") String keyPrefix) {
    }
}
