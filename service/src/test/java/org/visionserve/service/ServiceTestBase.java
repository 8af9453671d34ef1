package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.ModelRepository;

/**
 * The one service context all HTTP tests share (same annotations and properties, so Spring's test
 * context cache starts it once): a real server on a random port serving real exported models.
 * Limits are small so the over-limit cases need only small bodies.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "visionserve.models.defaults=" + TestModels.TINY,
        "visionserve.models.settings." + TestModels.BUSY + ".concurrency=1",
        "visionserve.models.settings." + TestModels.BUSY + ".queue-capacity=0",
        "visionserve.models.settings." + TestModels.BUSY + ".max-batch-size=1",
        "visionserve.limits.max-image-bytes=1MB",
        "visionserve.limits.max-image-pixels=4000000",
        "visionserve.limits.max-batch-images=4",
        "visionserve.limits.max-request-bytes=3MB",
        "visionserve.limits.max-top-k=10",
        "visionserve.runtime.intra-op-threads=2",
        "visionserve.limits.max-volume-bytes=2MB",
        "visionserve.limits.max-volume-voxels=300000",
        "visionserve.limits.max-slice-pixels=65536",
        "visionserve.segmentation.batch-size=2",
        "visionserve.segmentation.max-concurrent=1",
        "server.tomcat.max-part-count=8"})
public abstract class ServiceTestBase {

    @LocalServerPort
    protected int port;

    @Autowired
    protected ModelRepository repository;

    @Autowired
    protected Admission admission;

    protected Http http;

    @DynamicPropertySource
    static void models(DynamicPropertyRegistry registry) {
        registry.add("visionserve.models.dir", () -> TestModels.repository().toString());
    }

    /** Waits until every model is loaded and warmed up, as a load balancer would. */
    @BeforeEach
    void awaitReady() throws InterruptedException {
        http = new Http(port);
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (http.get("/actuator/health/readiness").status() != 200) {
            assertThat(System.nanoTime()).as("readiness within 2 minutes").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /**
     * Direct (NIO) memory in use, read in this JVM, which runs the server: right after a response, so
     * that a buffer the request leaked cannot have been reclaimed by a collection yet.
     */
    protected static long directMemory() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    }

    /** A sample of the scrape; fails if it is missing. */
    protected double counter(String name, String... labels) {
        return Metrics.value(http.get("/actuator/prometheus").body(), name, labels);
    }

    /** A counter read before the request under test: 0 if it has no sample yet (see {@link Metrics#counterOrZero}). */
    protected double counterOrZero(String name, String... labels) {
        return Metrics.counterOrZero(http.get("/actuator/prometheus").body(), name, labels);
    }
}
