package org.visionserve.service.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Everything under {@code visionserve.grpc.*}: the Open Inference Protocol's gRPC server, on its own port
 * beside the HTTP one.
 *
 * @param enabled               false: no gRPC server at all (the port stays closed)
 * @param port                  the port it listens on; 0 picks a free one (tests)
 * @param maxInboundMessageSize the largest request message; a larger one is refused with RESOURCE_EXHAUSTED
 *                              before it is parsed (application.yaml ties it to
 *                              {@code visionserve.limits.max-request-bytes}, the HTTP bound)
 * @param shutdownGracePeriod   at shutdown, how long calls in progress may still finish once no new ones are
 *                              taken; the rest are cancelled
 */
@ConfigurationProperties("visionserve.grpc")
public record GrpcProperties(@DefaultValue("true") boolean enabled,
                             @DefaultValue("8081") int port,
                             @DefaultValue("64MB") DataSize maxInboundMessageSize,
                             @DefaultValue("30s") Duration shutdownGracePeriod) {
}
