package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.visionserve.service.action.ActionRecognitionService;
import org.visionserve.service.segmentation.SegmentationService;
import tools.jackson.databind.JsonNode;

/** Health groups, the Prometheus scrape and the OpenAPI description. */
class OperationsApiTest extends ServiceTestBase {

    @Test
    void livenessAndReadinessGroups() {
        Http.Response live = http.get("/actuator/health/liveness");
        assertThat(live.status()).isEqualTo(200);
        assertThat(live.json().get("status").asString()).isEqualTo("UP");
        JsonNode ready = http.get("/actuator/health/readiness").json();
        assertThat(ready.get("status").asString()).isEqualTo("UP");
        JsonNode models = ready.get("components").get("models").get("details").get("models");
        assertThat(models.get(TestModels.TINY).get("status").asString()).isEqualTo("ready");
        assertThat(models.get(TestModels.ATTO).get("device").asString()).isEqualTo("cpu");
    }

    @Test
    void scrapeHasThePerModelHistogramAfterARequest() {
        assertThat(http.post("/v1/models/" + TestModels.TINY + "/classify", "image/png", Images.gradientPng(96, 80))
                .status()).isEqualTo(200);
        String scrape = http.get("/actuator/prometheus").body();
        for (String stage : new String[] {"decode", "preprocess", "queue", "inference", "postprocess", "total"}) {
            assertThat(Metrics.value(scrape, "visionserve_stage_seconds_count", "model", TestModels.TINY,
                    "stage", stage, "device", "cpu")).as(stage).isGreaterThanOrEqualTo(1);
        }
        // Explicit SLO buckets: 250 ms is one of them.
        assertThat(Metrics.has(scrape, "visionserve_stage_seconds_bucket", "model", TestModels.TINY,
                "stage", "inference", "le", "0.25")).isTrue();
        assertThat(Metrics.value(scrape, "visionserve_requests_total", "model", TestModels.TINY, "outcome", "ok"))
                .isGreaterThanOrEqualTo(1);
        assertThat(Metrics.has(scrape, "visionserve_queue_depth", "model", TestModels.TINY)).isTrue();
        // The batch-size histogram counts the requests' runs (warm-up and its measurement are not traffic).
        assertThat(Metrics.has(scrape, "visionserve_batch_size_bucket", "model", TestModels.TINY, "le", "8.0")).isTrue();
        assertThat(Metrics.value(scrape, "visionserve_batch_size_count", "model", TestModels.TINY))
                .isGreaterThanOrEqualTo(1);
        assertThat(Metrics.value(scrape, "visionserve_model_load_seconds", "model", TestModels.TINY, "device", "cpu"))
                .isPositive();
        assertThat(Metrics.value(scrape, "visionserve_model_info", "model", TestModels.TINY, "device", "cpu",
                "status", "ready", "weights", "seeded")).isEqualTo(1);
    }

    /** Admission as the scrape and the model's description show it, while the test holds two places of a model. */
    @Test
    void admissionIsObservableInTheScrapeAndTheModel() throws Exception {
        String pool = TestModels.ATTO;
        String scrape = http.get("/actuator/prometheus").body();
        assertThat(Metrics.value(scrape, "visionserve_admission_budget_bytes")).isEqualTo(admission.budgetBytes());
        assertThat(Metrics.value(scrape, "visionserve_admission_reserved_bytes")).isZero();
        assertThat(Metrics.value(scrape, "visionserve_admission_active", "pool", pool)).isZero();
        assertThat(Metrics.value(scrape, "visionserve_admission_waiting", "pool", pool)).isZero();
        try (org.visionserve.service.runtime.RequestScope scope =
                     org.visionserve.service.runtime.RequestScope.withTimeout(java.time.Duration.ofMinutes(1));
             var first = admission.admit(pool, 3 << 20, scope);
             var second = admission.admit(pool, 1 << 20, scope)) {
            scrape = http.get("/actuator/prometheus").body();
            assertThat(Metrics.value(scrape, "visionserve_admission_reserved_bytes")).isEqualTo(4 << 20);
            assertThat(Metrics.value(scrape, "visionserve_admission_active", "pool", pool)).isEqualTo(2);
            JsonNode admitted = http.get("/v1/models/" + pool).json().get("runner").get("admission");
            assertThat(admitted.get("active").asInt()).isEqualTo(2);
            assertThat(admitted.get("concurrency").asInt()).isEqualTo(admission.limits(pool).concurrency());
            assertThat(admitted.get("queueCapacity").asInt()).isEqualTo(64);
        }
        assertThat(Metrics.value(http.get("/actuator/prometheus").body(), "visionserve_admission_active", "pool", pool))
                .isZero();
    }

    /** The pipelines' pools are named apart from the models' (a model's pool is its id, which holds no '/'). */
    @Test
    void pipelinePoolsAreNamedApartFromModels() {
        String scrape = http.get("/actuator/prometheus").body();
        for (String pool : new String[] {"pipeline/clips", "pipeline/volumes"}) {
            assertThat(Metrics.value(scrape, "visionserve_admission_waiting", "pool", pool)).as(pool).isZero();
        }
        assertThat(ActionRecognitionService.POOL).isEqualTo("pipeline/clips");
        assertThat(SegmentationService.POOL).isEqualTo("pipeline/volumes");
        for (String old : new String[] {"clips", "volumes"}) {
            assertThat(Metrics.has(scrape, "visionserve_admission_waiting", "pool", old)).as(old).isFalse();
        }
    }

    /**
     * Successes and failures alike leave no direct (native) memory behind: input buffers are pooled.
     * Measured around each pair of requests, at once (see {@link #directMemory()}): the check does not
     * depend on when the garbage collector runs.
     */
    @Test
    void manyRequestsKeepDirectMemoryFlat() {
        String url = "/v1/models/" + TestModels.ATTO + "/classify";
        byte[] png = Images.gradientPng(256, 192);
        for (int i = 0; i < 5; i++) {
            http.post(url, "image/png", png);
        }
        long maxGrowth = Long.MIN_VALUE;
        for (int i = 0; i < 20; i++) {
            long before = directMemory();
            assertThat(http.post(url, "image/png", png).status()).isEqualTo(200);
            assertThat(http.post(url, "image/png", Images.truncated(png, 300)).status()).isEqualTo(422);
            maxGrowth = Math.max(maxGrowth, directMemory() - before);
        }
        System.out.println("direct memory growth per request pair, at most: " + maxGrowth + " bytes");
        // One unpooled 3 x 224 x 224 input is 602 kB.
        assertThat(maxGrowth).as("direct memory growth in bytes").isLessThan(300_000);
        assertThat(Metrics.value(http.get("/actuator/prometheus").body(), "jvm_buffer_memory_used_bytes", "id", "direct"))
                .as("the scrape has the same gauge").isPositive();
    }

    @Test
    void openApiDocumentsTheEndpointsWithExamples() {
        Http.Response r = http.get("/v3/api-docs");
        assertThat(r.status()).isEqualTo(200);
        JsonNode paths = r.json().get("paths");
        assertThat(paths.has("/v1/models")).isTrue();
        assertThat(paths.has("/v1/models/{id}")).isTrue();
        JsonNode classify = paths.get("/v1/models/{id}/classify").get("post");
        assertThat(classify.get("requestBody").get("content").has("multipart/form-data")).isTrue();
        assertThat(classify.get("requestBody").get("content").has("image/jpeg")).isTrue();
        assertThat(classify.get("responses").get("413").get("content").get("application/problem+json")
                .get("example").get("configKey").asString()).isEqualTo("visionserve.limits.max-image-pixels");
        assertThat(classify.get("responses").get("200").get("content").get("application/json")
                .get("example").get("images")).isNotNull();
        assertThat(paths.get("/v1/models/{id}/classify-batch").get("post").get("responses").has("200")).isTrue();
        assertThat(http.get("/swagger-ui/index.html").status()).isEqualTo(200);
    }

    /** Each inference operation documents its deadline: the header, the parameter and the 504; classify its 503. */
    @Test
    void openApiDocumentsDeadlinesAndOverload() {
        JsonNode paths = http.get("/v3/api-docs").json().get("paths");
        for (String op : new String[] {"classify", "classify-batch", "recognize", "segment"}) {
            JsonNode post = paths.get("/v1/models/{id}/" + op).get("post");
            java.util.Map<String, String> params = new java.util.HashMap<>();
            post.get("parameters").forEach(p -> params.put(p.get("name").asString(), p.get("in").asString()));
            assertThat(params).as(op).containsEntry("Request-Timeout", "header").containsEntry("timeout", "query");
            JsonNode timeout = post.get("responses").get("504").get("content").get("application/problem+json").get("example");
            assertThat(timeout.get("code").asString()).as(op).isEqualTo("deadline-exceeded");
            assertThat(timeout.get("timeoutSeconds").asDouble()).as(op).isPositive();
        }
        JsonNode busy = paths.get("/v1/models/{id}/classify").get("post").get("responses").get("503");
        assertThat(busy.get("headers").has("Retry-After")).isTrue();
        assertThat(busy.get("content").get("application/problem+json").get("example").get("code").asString())
                .isEqualTo("overloaded");
    }
}
