package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.RequestScope;
import tools.jackson.databind.JsonNode;

/** Every error path: problem+json with the right status and code, and counted in the metrics. */
class ErrorsApiTest extends ServiceTestBase {

    private static final String ATTO = "/v1/models/" + TestModels.ATTO;

    @Test
    void unknownModel404() {
        double before = counterOrZero("visionserve_requests_total", "model", "unknown", "outcome", "client_error");
        Http.Response r = http.post("/v1/models/resnet9000/classify", "image/png", Images.chelseaPng());
        assertProblem(r, 404, "unknown-model");
        assertThat(counter("visionserve_requests_total", "model", "unknown", "outcome", "client_error"))
                .isEqualTo(before + 1);
    }

    @Test
    void nonImageContentType415() {
        double before = clientErrorsBefore();
        assertProblem(http.post(ATTO + "/classify", "text/plain", "hello".getBytes()), 415, "unsupported-media-type");
        assertThat(clientErrors()).isEqualTo(before + 1);
    }

    @Test
    void unsupportedImageFormat415() {
        byte[] tiff = new byte[512];
        System.arraycopy(new byte[] {'I', 'I', 42, 0, 8, 0, 0, 0}, 0, tiff, 0, 8);
        Http.Response r = http.post(ATTO + "/classify", "image/tiff", tiff);
        assertProblem(r, 415, "unsupported-media-type");
    }

    @Test
    void textUploadedAsAnImageIs415() {
        assertProblem(http.post(ATTO + "/classify", "image/jpeg", "not an image at all".getBytes()), 415,
                "unsupported-media-type");
    }

    @Test
    void corruptImage422() {
        byte[] jpeg = Images.chelseaJpeg();
        byte[] broken = jpeg.clone();
        for (int i = 600; i < broken.length - 2; i++) { // keep the headers, scramble the entropy-coded data
            broken[i] = (byte) (i * 31);
        }
        Http.Response r = http.post(ATTO + "/classify", "image/jpeg", broken);
        assertProblem(r, 422, "corrupt-image");
        assertThat(r.json().get("image").asInt()).isZero();
    }

    @Test
    void truncatedImage422() {
        Http.Response r = http.multipart(ATTO + "/classify", List.of(new Http.Part("file", "cut.png", "image/png",
                Images.truncated(Images.chelseaPng(), 2000))));
        assertProblem(r, 422, "corrupt-image");
        assertThat(r.json().get("detail").asString()).contains("cut.png");
    }

    @Test
    void rawBodyOverByteLimit413NamesTheKey() {
        Http.Response r = http.post(ATTO + "/classify", "image/png", new byte[1024 * 1024 + 1]);
        assertProblem(r, 413, "payload-too-large");
        assertThat(r.json().get("configKey").asString()).isEqualTo("visionserve.limits.max-image-bytes");
        assertThat(r.json().get("limit").asLong()).isEqualTo(1024 * 1024);
    }

    @Test
    void multipartFileOverByteLimit413NamesTheKey() {
        double before = clientErrorsBefore();
        Http.Response r = http.multipart(ATTO + "/classify",
                List.of(new Http.Part("file", "big.png", "image/png", new byte[1024 * 1024 + 1])));
        assertProblem(r, 413, "payload-too-large");
        assertThat(r.json().get("configKey").asString()).isEqualTo("visionserve.limits.max-image-bytes");
        assertThat(clientErrors()).isEqualTo(before + 1);
    }

    @Test
    void multipartRequestOverRequestLimit413NamesTheKey() {
        Http.Part part = new Http.Part("files", "big.png", "image/png", new byte[900 * 1024]); // each under 1 MB
        Http.Response r = http.multipart(ATTO + "/classify-batch", Collections.nCopies(4, part)); // 3.6 MB > 3 MB
        assertProblem(r, 413, "payload-too-large");
        assertThat(r.json().get("configKey").asString()).isEqualTo("visionserve.limits.max-request-bytes");
    }

    @Test
    void pixelBombRefused413() {
        byte[] bomb = Images.flatPng(2500, 2000); // 5 MP in a few kB; the limit is 4 MP
        assertThat(bomb.length).isLessThan(100_000);
        Http.Response r = http.post(ATTO + "/classify", "image/png", bomb);
        assertProblem(r, 413, "payload-too-large");
        assertThat(r.json().get("configKey").asString()).isEqualTo("visionserve.limits.max-image-pixels");
        assertThat(r.json().get("limit").asLong()).isEqualTo(4_000_000L);
    }

    @Test
    void tooManyImages413() {
        Http.Part part = new Http.Part("files", "g.png", "image/png", Images.gradientPng(64, 64));
        Http.Response r = http.multipart(ATTO + "/classify-batch", Collections.nCopies(5, part));
        assertProblem(r, 413, "too-many-images");
        assertThat(r.json().get("configKey").asString()).isEqualTo("visionserve.limits.max-batch-images");
        assertThat(r.json().get("limit").asInt()).isEqualTo(4);
    }

    /** Past Tomcat's part count the container refuses the request; the answer is the same kind of 413. */
    @Test
    void tooManyPartsForTheContainer413() {
        Http.Part part = new Http.Part("files", "g.png", "image/png", Images.gradientPng(16, 16));
        Http.Response r = http.multipart(ATTO + "/classify-batch", Collections.nCopies(9, part));
        assertProblem(r, 413, "too-many-images");
        assertThat(r.json().get("configKey").asString()).isEqualTo("visionserve.limits.max-batch-images");
        assertThat(r.json().get("detail").asString()).contains("server.tomcat.max-part-count");
    }

    @Test
    void topKOutOfRange400() {
        for (String k : List.of("0", "11", "-3")) {
            Http.Response r = http.post(ATTO + "/classify?top_k=" + k, "image/png", Images.gradientPng(64, 64));
            assertProblem(r, 400, "invalid-parameter");
            assertThat(r.json().get("parameter").asString()).isEqualTo("top_k");
        }
        assertProblem(http.post(ATTO + "/classify?top_k=abc", "image/png", Images.gradientPng(64, 64)), 400, "bad-request");
    }

    @Test
    void malformedMultipart400() {
        Http.Response r = http.post(ATTO + "/classify", "multipart/form-data; boundary=xyz",
                "--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno closing boundary".getBytes());
        assertProblem(r, 400, "bad-multipart");
    }

    @Test
    void missingFilePart400() {
        Http.Response r = http.multipart(ATTO + "/classify",
                List.of(new Http.Part("image", "g.png", "image/png", Images.gradientPng(64, 64))));
        assertProblem(r, 400, "bad-request");
    }

    @Test
    void wrongTaskForTheModel409() {
        Http.Response r = http.post("/v1/models/" + TestModels.FEATURES + "/classify", "image/png",
                Images.gradientPng(64, 64));
        assertProblem(r, 409, "wrong-task");
        assertThat(r.json().get("detail").asString()).contains("action-features");
    }

    /**
     * No queue: with every admission place of the model taken, the next request is refused at once
     * (503, Retry-After), not queued; once a place is free the model serves again.
     */
    @Test
    void fullQueueRejected503WithRetryAfter() throws Exception {
        List<Admission.Ticket> held = new ArrayList<>();
        try (RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(1))) {
            for (int i = 0; i < admission.limits(TestModels.BUSY).concurrency(); i++) {
                held.add(admission.admit(TestModels.BUSY, 0, scope));
            }
            double before = counterOrZero("visionserve_requests_total", "model", TestModels.BUSY, "outcome", "rejected");
            Http.Response r = http.post("/v1/models/" + TestModels.BUSY + "/classify", "image/png",
                    Images.gradientPng(64, 64));
            assertProblem(r, 503, "overloaded");
            assertThat(Long.parseLong(r.raw().headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 300L);
            assertThat(r.json().get("queueCapacity").asInt()).isZero();
            assertThat(counter("visionserve_requests_total", "model", TestModels.BUSY, "outcome", "rejected"))
                    .isEqualTo(before + 1);
        } finally {
            held.forEach(Admission.Ticket::close);
        }
        assertThat(http.post("/v1/models/" + TestModels.BUSY + "/classify", "image/png", Images.gradientPng(64, 64))
                .status()).isEqualTo(200);
    }

    private double clientErrorsBefore() {
        return counterOrZero("visionserve_requests_total", "model", TestModels.ATTO, "outcome", "client_error");
    }

    private double clientErrors() {
        return counter("visionserve_requests_total", "model", TestModels.ATTO, "outcome", "client_error");
    }

    static void assertProblem(Http.Response r, int status, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/problem+json");
        JsonNode p = r.json();
        assertThat(p.get("status").asInt()).isEqualTo(status);
        assertThat(p.get("code").asString()).isEqualTo(code);
        assertThat(p.get("type").asString()).isEqualTo("urn:visionserve:problem:" + code);
        assertThat(p.get("title").asString()).isNotBlank();
        assertThat(p.get("detail").asString()).isNotBlank();
    }
}
