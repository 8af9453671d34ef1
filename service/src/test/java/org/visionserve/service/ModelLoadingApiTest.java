package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.visionserve.service.ErrorsApiTest.assertProblem;

import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.visionserve.service.runtime.ModelRepository;

/**
 * A model still loading answers 503 model-loading with Retry-After, then serves once loaded. To keep
 * it loading for exactly as long as the test needs, without timing, the loader is held where it
 * creates the session: ONNX Runtime's {@code OrtEnvironment.getEnvironment()} is
 * {@code static synchronized}, so while a thread of this test holds the class's monitor the loader
 * waits there. The monitor is taken before this context starts (nothing else in it touches ONNX
 * Runtime before a model is ready) and given back by the test.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "visionserve.models.export-defaults=false",
        "visionserve.runtime.intra-op-threads=1"})
class ModelLoadingApiTest {

    private static final CountDownLatch RELEASE = new CountDownLatch(1);

    @LocalServerPort
    int port;

    @Autowired
    ModelRepository models;

    @DynamicPropertySource
    static void models(DynamicPropertyRegistry registry) throws InterruptedException {
        Path dir;
        try {
            dir = Files.createTempDirectory("visionserve-loading");
            TestModels.exportAtto(dir);
            TestModels.deleteOnExit(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        holdOrtEnvironment();
        registry.add("visionserve.models.dir", dir::toString);
    }

    /** Holds OrtEnvironment's monitor until {@link #RELEASE} (or 5 minutes, so nothing can hang for ever). */
    private static void holdOrtEnvironment() throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            synchronized (OrtEnvironment.class) {
                held.countDown();
                try {
                    RELEASE.await(5, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "holds-ort-environment");
        holder.setDaemon(true);
        holder.start();
        held.await();
    }

    @AfterAll
    static void release() {
        RELEASE.countDown();
    }

    @Test
    void loadingModelIs503WithRetryAfterThenServes() throws InterruptedException {
        Http http = new Http(port);
        String model = "/v1/models/" + TestModels.ATTO;
        // The loader lists the model as soon as it has scanned the repository.
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (http.get(model).status() == 404) {
            assertThat(System.nanoTime()).as("repository scanned within a minute").isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(http.get(model).json().get("status").asString()).isEqualTo("loading");
        assertThat(http.get("/actuator/health/readiness").status()).isEqualTo(503);

        String scrape = http.get("/actuator/prometheus").body();
        double before = Metrics.counterOrZero(scrape, "visionserve_requests_total", "model", TestModels.ATTO,
                "outcome", "server_error");
        Http.Response r = http.post(model + "/classify", "image/png", Images.gradientPng(64, 48));
        assertProblem(r, 503, "model-loading");
        assertThat(r.json().get("title").asString()).isEqualTo("Model loading");
        assertThat(r.json().get("detail").asString()).contains("still loading");
        assertThat(r.raw().headers().firstValue("Retry-After")).hasValue("5");
        assertThat(Metrics.value(http.get("/actuator/prometheus").body(), "visionserve_requests_total",
                "model", TestModels.ATTO, "outcome", "server_error")).isEqualTo(before + 1);
        assertThat(models.loadingDone()).as("still loading after the answer").isFalse();

        RELEASE.countDown();
        deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!models.loadingDone()) {
            assertThat(System.nanoTime()).as("loaded within 2 minutes").isLessThan(deadline);
            Thread.sleep(50);
        }
        assertThat(http.get(model).json().get("status").asString()).isEqualTo("ready");
        assertThat(http.post(model + "/classify", "image/png", Images.gradientPng(64, 48)).status()).isEqualTo(200);
    }
}
