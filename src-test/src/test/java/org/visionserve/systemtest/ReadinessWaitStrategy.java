package org.visionserve.systemtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;

/**
 * Waits until {@code http://127.0.0.1:PORT/actuator/health/readiness} answers 200. Testcontainers'
 * {@code Wait.forHttp} needs a mapped port, which a host-network container does not have; this polls
 * the port directly and gives up as soon as the container has exited, with its log in the message.
 */
final class ReadinessWaitStrategy extends AbstractWaitStrategy {

    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    ReadinessWaitStrategy(int port) {
        this.port = port;
    }

    @Override
    protected void waitUntilReady() {
        URI uri = URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness");
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        int lastStatus = -1;
        while (System.nanoTime() < deadline) {
            if (!waitStrategyTarget.isRunning()) {
                throw new ContainerLaunchException("container exited before it was ready:\n" + waitStrategyTarget.getLogs());
            }
            try {
                lastStatus = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (lastStatus == 200) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerLaunchException("interrupted while waiting for readiness", e);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerLaunchException("interrupted while waiting for readiness", e);
            }
        }
        throw new ContainerLaunchException("not ready after " + startupTimeout + " (last status " + lastStatus + "):\n"
                + waitStrategyTarget.getLogs());
    }
}
