package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.visionserve.service.ErrorsApiTest.assertProblem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.visionserve.export.ModelExporter;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.SeededWeights;
import org.visionserve.service.runtime.ModelRepository;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Models that cannot serve, each brought about with real exported models, answered over real HTTP
 * with their problem and counted under their outcome: a model that failed to load (corrupt
 * {@code model.onnx}), a disabled one, a graph that fails at run time (its {@code model.json} asks
 * for 192-pixel tensors, the graph takes 224), preprocessing the service does not implement (an
 * unexpected error), and an action head whose feature models are missing. A context of its own: a
 * failed model keeps readiness down, which the shared context waits for.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "visionserve.models.export-defaults=false",
        "visionserve.models.settings." + UnavailableModelsApiTest.DISABLED + ".enabled=false",
        "visionserve.runtime.intra-op-threads=1",
        "visionserve.action.preload-natives=false"})
class UnavailableModelsApiTest {

    static final String FAILED = "corrupt_onnx";
    static final String DISABLED = "switched_off";
    static final String WRONG_SIZE = "wrong_input_size";
    static final String UNSUPPORTED = "bilinear_resize";
    static final String HEAD = "temporal_inception_ucf101";

    private static Path repository;

    @LocalServerPort
    int port;

    @Autowired
    ModelRepository models;

    Http http;

    @DynamicPropertySource
    static void models(DynamicPropertyRegistry registry) {
        registry.add("visionserve.models.dir", () -> repository().toString());
    }

    static synchronized Path repository() {
        if (repository == null) {
            try {
                Path dir = Files.createTempDirectory("visionserve-unavailable");
                TestModels.exportAtto(dir);
                Path atto = dir.resolve(TestModels.ATTO);
                TestModels.copy(atto, dir.resolve(FAILED));
                Files.write(dir.resolve(FAILED).resolve(ModelExporter.MODEL_FILE), new byte[] {1, 2, 3, 4});
                TestModels.copy(atto, dir.resolve(DISABLED));
                TestModels.copy(atto, dir.resolve(WRONG_SIZE));
                // Warm-up runs the declared input shape (224) and passes; requests send inputSize (192).
                editPreprocessing(dir.resolve(WRONG_SIZE), p -> p.put("inputSize", 192).put("resizeShorterSide", 219));
                TestModels.copy(atto, dir.resolve(UNSUPPORTED));
                editPreprocessing(dir.resolve(UNSUPPORTED), p -> p.put("interpolation", "bilinear"));
                try (SeededWeights w = new SeededWeights(0)) {
                    ModelExporter.export(ModelRegistry.get(HEAD), w, dir, (k, n) -> { });
                }
                TestModels.deleteOnExit(dir);
                repository = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return repository;
    }

    /** Readiness stays down (a model failed): wait for the loader to be done instead. */
    @BeforeEach
    void awaitLoaded() throws InterruptedException {
        http = new Http(port);
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!models.loadingDone()) {
            assertThat(System.nanoTime()).as("models loaded within 2 minutes").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @Test
    void failedModelIs503AndListedWithItsReason() {
        JsonNode listed = http.get("/v1/models/" + FAILED).json();
        assertThat(listed.get("status").asString()).isEqualTo("failed");
        assertThat(listed.get("error").asString()).as("the reason, for the operator").contains("OrtException");
        assertThat(http.get("/actuator/health/readiness").status()).isEqualTo(503);

        Http.Response r = countedAs(FAILED, "server_error", () -> classify(FAILED));
        assertProblem(r, 503, "model-failed");
        assertThat(r.json().get("title").asString()).isEqualTo("Model failed to load");
        // The client is pointed to the model's metadata for the reason; no internal names in the detail.
        assertThat(r.json().get("detail").asString()).contains("'" + FAILED + "' failed to load")
                .contains("GET /v1/models/" + FAILED).doesNotContain("OrtException");
        assertThat(r.raw().headers().firstValue("Retry-After")).isEmpty(); // retrying will not help
    }

    @Test
    void disabledModelIs409() {
        assertThat(http.get("/v1/models/" + DISABLED).json().get("status").asString()).isEqualTo("disabled");
        Http.Response r = countedAs(DISABLED, "client_error", () -> classify(DISABLED));
        assertProblem(r, 409, "model-disabled");
        assertThat(r.json().get("title").asString()).isEqualTo("Model disabled");
        assertThat(r.json().get("detail").asString())
                .contains("visionserve.models.settings." + DISABLED + ".enabled=false");
    }

    @Test
    void graphFailingAtRunTimeIs500InferenceFailed() {
        assertThat(http.get("/v1/models/" + WRONG_SIZE).json().get("status").asString()).isEqualTo("ready");
        Http.Response r = countedAs(WRONG_SIZE, "server_error", () -> classify(WRONG_SIZE));
        assertProblem(r, 500, "inference-failed");
        assertThat(r.json().get("title").asString()).isEqualTo("Inference failed");
        // ONNX Runtime's message (the shapes) goes to the log, not to the client.
        assertThat(r.json().get("detail").asString()).contains("inference on model '" + WRONG_SIZE + "' failed")
                .doesNotContain("224").doesNotContain("Ort");
        assertThat(r.json().get("instance").asString()).isEqualTo("/v1/models/" + WRONG_SIZE + "/classify");
    }

    /** An unexpected exception: a 500 that says nothing of the server's internals (the log has them). */
    @Test
    void unexpectedErrorIs500InternalError() {
        Http.Response r = countedAs(UNSUPPORTED, "server_error", () -> classify(UNSUPPORTED));
        assertProblem(r, 500, "internal-error");
        assertThat(r.json().get("title").asString()).isEqualTo("Internal error");
        assertThat(r.json().get("detail").asString()).isEqualTo("the request failed on the server; the log has the details")
                .doesNotContain("bilinear");
    }

    /** The head is ready, its feature models (visionserve.action.rgb-model, flow-model) are not in the repository. */
    @Test
    void recognizeWithoutTheFeatureModelsIs503() {
        assertThat(http.get("/v1/models/" + HEAD).json().get("status").asString()).isEqualTo("ready");
        // Models are checked before the clip is read: these bytes are never decoded.
        Http.Response r = countedAs(HEAD, "server_error",
                () -> http.post("/v1/models/" + HEAD + "/recognize", "video/mp4", new byte[] {0, 0, 0, 24}));
        assertProblem(r, 503, "feature-model-unavailable");
        assertThat(r.json().get("title").asString()).isEqualTo("Feature model unavailable");
        assertThat(r.json().get("detail").asString()).contains("'resnet101_rgb'")
                .contains("visionserve.action.rgb-model").contains("not in the model repository");
    }

    private Http.Response classify(String model) {
        return http.post("/v1/models/" + model + "/classify", "image/png", Images.gradientPng(64, 48));
    }

    /** Sends the request and checks that it was counted once, under {@code outcome}. */
    private Http.Response countedAs(String model, String outcome, Supplier<Http.Response> request) {
        double before = Metrics.counterOrZero(scrape(), "visionserve_requests_total", "model", model, "outcome", outcome);
        Http.Response r = request.get();
        assertThat(Metrics.value(scrape(), "visionserve_requests_total", "model", model, "outcome", outcome))
                .as("visionserve_requests_total{model=%s, outcome=%s}", model, outcome).isEqualTo(before + 1);
        return r;
    }

    private String scrape() {
        return http.get("/actuator/prometheus").body();
    }

    private static void editPreprocessing(Path modelDir, Consumer<ObjectNode> edit) throws IOException {
        Path json = modelDir.resolve(ModelMetadata.FILE_NAME);
        JsonMapper mapper = JsonMapper.builder().build();
        ObjectNode node = (ObjectNode) mapper.readTree(json.toFile());
        edit.accept((ObjectNode) node.get("preprocessing"));
        Files.writeString(json, mapper.writeValueAsString(node));
    }
}
