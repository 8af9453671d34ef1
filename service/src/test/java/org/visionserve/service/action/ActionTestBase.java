package org.visionserve.service.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.visionserve.export.ModelExporter;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.SeededWeights;
import org.visionserve.service.Http;
import org.visionserve.service.Metrics;
import org.visionserve.service.TestModels;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.ModelRepository;
import tools.jackson.databind.JsonNode;

/**
 * The clip endpoint's service context, shared by the action HTTP tests: the four action models with
 * seeded weights and a classifier, exported once per JVM. A second context beside
 * {@code ServiceTestBase}'s because the configuration must differ (frame lists need more multipart
 * parts than that context's part-count test allows; small clip limits) and so the classification
 * tests do not load two ResNet-101s. One clip at a time, none waiting; ResNets in sub-batches of 13, two clips' worth per run.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "visionserve.models.export-defaults=false",
        "visionserve.runtime.intra-op-threads=2",
        "visionserve.limits.max-top-k=101",
        "visionserve.action.stream-batch=13",
        "visionserve.models.settings.resnet101_rgb.max-batch-size=26",
        "visionserve.models.settings.resnet101_flow.max-batch-size=26",
        "visionserve.action.concurrency=1",
        "visionserve.action.queue-capacity=0",
        "visionserve.action.flow-threads=2",
        "visionserve.action.settings." + ActionTestBase.TEMPORAL_INCEPTION + ".flow=farneback",
        "visionserve.action.limits.max-bytes=1MB",
        "visionserve.action.limits.max-duration=3s",
        "visionserve.action.limits.max-frames=60",
        "visionserve.action.limits.max-pixels=19200",
        "server.tomcat.max-part-count=40"})
abstract class ActionTestBase {

    static final String TS_LSTM = "ts_lstm_ucf101";
    static final String TEMPORAL_INCEPTION = "temporal_inception_ucf101";
    static final String RGB = "resnet101_rgb";
    static final String FLOW = "resnet101_flow";
    static final int W = 160;
    static final int H = 120;

    private static Path repository;

    @LocalServerPort
    int port;

    @Autowired
    ModelRepository models;

    @Autowired
    ActionRecognitionService service;

    @Autowired
    Admission admission;

    Http http;

    @DynamicPropertySource
    static void models(DynamicPropertyRegistry registry) {
        registry.add("visionserve.models.dir", () -> repository().toString());
    }

    /** The four action models and a classifier (for the wrong-task answer), exported once per JVM. */
    static synchronized Path repository() {
        if (repository == null) {
            try {
                Path dir = Files.createTempDirectory("visionserve-action-models");
                for (String id : List.of(RGB, FLOW, TS_LSTM, TEMPORAL_INCEPTION)) {
                    try (SeededWeights w = new SeededWeights(0)) {
                        ModelExporter.export(ModelRegistry.get(id), w, dir, (k, n) -> { });
                    }
                }
                TestModels.exportAtto(dir);
                TestModels.deleteOnExit(dir);
                repository = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return repository;
    }

    @BeforeEach
    void awaitReady() throws InterruptedException {
        http = new Http(port);
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (http.get("/actuator/health/readiness").status() != 200) {
            assertThat(System.nanoTime()).as("readiness within 3 minutes").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** A clip of a textured square moving (dx, dy) px per frame, H.264 in MP4. */
    static byte[] mp4(int frames, int dx, int dy) {
        return encode(TestClips.Kind.MP4_H264, W, H, 25, frames, dx, dy);
    }

    static byte[] encode(TestClips.Kind kind, int w, int h, double fps, int frames, int dx, int dy) {
        try {
            return TestClips.encode(kind, w, h, fps, TestClips.frames(w, h, frames, dx, dy));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Http.Response postVideo(String model, String query, byte[] video) {
        return http.multipart("/v1/models/" + model + "/recognize" + query,
                List.of(new Http.Part("file", "clip.mp4", "video/mp4", video)));
    }

    /** A sample of the scrape; fails if it is missing. */
    double metric(String name, String... labels) {
        return Metrics.value(http.get("/actuator/prometheus").body(), name, labels);
    }

    /** A counter read before the request under test: 0 if it has no sample yet (see {@link Metrics#counterOrZero}). */
    double counterOrZero(String name, String... labels) {
        return Metrics.counterOrZero(http.get("/actuator/prometheus").body(), name, labels);
    }

    static void assertProblem(Http.Response r, int status, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/problem+json");
        JsonNode p = r.json();
        assertThat(p.get("status").asInt()).isEqualTo(status);
        assertThat(p.get("code").asString()).isEqualTo(code);
        assertThat(p.get("type").asString()).isEqualTo("urn:visionserve:problem:" + code);
        assertThat(p.get("detail").asString()).isNotBlank();
    }

    static void assertTooLarge(Http.Response r, String configKey, long limit) {
        assertProblem(r, 413, "payload-too-large");
        assertThat(r.json().get("configKey").asString()).isEqualTo(configKey);
        assertThat(r.json().get("limit").asLong()).isEqualTo(limit);
        assertThat(r.json().get("detail").asString()).contains(configKey);
    }
}
