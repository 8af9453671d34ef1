package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.ServletContext;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Inputs that crashed or held the service, against the real server over real HTTP: each class at its
 * limit (served) and just past it (a 4xx problem+json of the right type). Past-the-limit images are
 * mostly PNG headers with no image data behind them: decoding one would answer 422 corrupt-image, so a
 * 413 proves the refusal came from the header, before any decoding. After every test the server still
 * classifies a good image and its upload spool is empty.
 *
 * <p>Limits of {@link ServiceTestBase}: 4,000,000 pixels, aspect ratio 100 (the default), 1 MB per
 * image, 3 MB per request, 8 parts; slices of 65,536 pixels, volumes of 300,000 voxels.
 */
class HostileInputApiTest extends ServiceTestBase {

    private static final String CLASSIFY = "/v1/models/" + TestModels.ATTO + "/classify";
    private static final String BATCH = "/v1/models/" + TestModels.ATTO + "/classify-batch";
    private static final String SEGMENT = "/v1/models/" + TestModels.IVD + "/segment";
    private static final String ASPECT_KEY = "visionserve.limits.max-image-aspect-ratio";

    @Autowired
    private ServletContext servletContext;

    @AfterEach
    void stillServingWithNothingLeftInTheSpool() throws IOException {
        Http.Response ok = http.post(CLASSIFY, "image/png", Images.gradientPng(64, 48));
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(uploadSpool()).as("upload spool after the requests").isEmptyDirectory();
    }

    @Test
    void aspectRatiosAtTheLimitAreServedInEveryShape() {
        for (int[] wh : new int[][] {{100, 1}, {1, 100}, {20, 2000}, {200, 20_000}}) {
            Http.Response r = classify(HostilePngs.flatGrey(wh[0], wh[1], 90));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonNode image = r.json().get("images").get(0);
            assertThat(image.get("width").asInt()).isEqualTo(wh[0]);
            assertThat(image.get("height").asInt()).isEqualTo(wh[1]);
        }
    }

    @Test
    void aspectRatioBombsAreRefusedFromTheHeader() {
        // whole valid images (the 4,000,000 x 1 one is 4 KB) and headers alone, every orientation
        int[][] shapes = {{101, 1}, {1, 101}, {20, 2001}, {4_000_000, 1}, {1, 4_000_000}, {10, 400_000}};
        for (int[] wh : shapes) {
            for (byte[] png : List.of(HostilePngs.flatGrey(wh[0], wh[1], 90), HostilePngs.headerOnly(wh[0], wh[1]))) {
                Http.Response r = classify(png);
                assertProblem(r, 413, "payload-too-large");
                assertThat(r.json().get("configKey").asString()).isEqualTo(ASPECT_KEY);
                assertThat(r.json().get("limit").asInt()).isEqualTo(100);
                assertThat(r.json().get("detail").asString()).contains(wh[0] + "x" + wh[1]);
                assertProblem(http.post(CLASSIFY, "image/png", png), 413, "payload-too-large");
            }
        }
    }

    @Test
    void hugeDimensionsInATinyFileAreRefusedFromTheHeader() {
        byte[] header = HostilePngs.headerOnly(25_000, 25_000);
        assertThat(header.length).isLessThan(100);
        Http.Response r = classify(header);
        assertProblem(r, 413, "payload-too-large");
        assertThat(r.json().get("configKey").asString()).isEqualTo("visionserve.limits.max-image-pixels");
        // just past the pixel limit (2000 x 2000) as a whole image, and at it
        assertProblem(classify(HostilePngs.flatGrey(2001, 2000, 90)), 413, "payload-too-large");
        assertThat(classify(HostilePngs.flatGrey(2000, 2000, 90)).status()).isEqualTo(200);
    }

    @Test
    void aBatchIsMeasuredWholeBeforeAnyImageIsDecoded() {
        // image 0 would be 422 if decoded; image 2 is refused first, from its header
        byte[] undecodable = HostilePngs.headerOnly(64, 64);
        Http.Response r = http.multipart(BATCH, List.of(part("files", undecodable),
                part("files", Images.gradientPng(32, 32)), part("files", HostilePngs.headerOnly(5000, 1))));
        assertProblem(r, 413, "payload-too-large");
        assertThat(r.json().get("image").asInt()).isEqualTo(2);
        assertThat(r.json().get("configKey").asString()).isEqualTo(ASPECT_KEY);
        // and without it, image 0 is the corrupt one
        r = http.multipart(BATCH, List.of(part("files", undecodable), part("files", Images.gradientPng(32, 32))));
        assertProblem(r, 422, "corrupt-image");
        assertThat(r.json().get("image").asInt()).isZero();
    }

    @Test
    void pngSlicesOverTheSliceLimitAreRefusedFromTheHeader() {
        // 8 x 30000 passes max-volume-voxels (300,000) but runs as 32 x 30016 pixels (limit 65,536)
        for (int[] wh : new int[][] {{8, 30_000}, {30_000, 8}, {257, 256}}) {
            List<Http.Part> parts = new ArrayList<>();
            for (String m : List.of("fat", "inn", "opp", "wat")) {
                parts.add(part(m, HostilePngs.headerOnly(wh[0], wh[1])));
            }
            Http.Response r = http.multipart(SEGMENT, parts);
            assertProblem(r, 413, "payload-too-large");
            assertThat(r.json().get("configKey").asString()).isEqualTo("visionserve.limits.max-slice-pixels");
            assertThat(r.json().get("part").asString()).isEqualTo("fat");
        }
    }

    @Test
    void aRepeatedSinglePartIsRefused() {
        byte[] png = Images.gradientPng(32, 32);
        Http.Response r = http.multipart(CLASSIFY, List.of(part("file", png), part("file", png)));
        assertProblem(r, 400, "duplicate-part");
        assertThat(r.json().get("part").asString()).isEqualTo("file");
        List<Http.Part> exam = new ArrayList<>();
        for (String m : List.of("fat", "fat", "inn", "opp", "wat")) {
            exam.add(part(m, HostilePngs.flatGrey(32, 32, 9)));
        }
        r = http.multipart(SEGMENT, exam);
        assertProblem(r, 400, "duplicate-part");
        assertThat(r.json().get("part").asString()).isEqualTo("fat");
        // a repeatable part stays repeatable
        assertThat(http.multipart(BATCH, List.of(part("files", png), part("files", png))).status()).isEqualTo(200);
    }

    @Test
    void requestsTheContainerRefusesAreProblemsToo() throws IOException {
        for (String path : List.of("/v1/models/a%2Fb", "/v1/models/a%5Cb", "/v1/models/a%2Fb/classify")) {
            Http.Response r = path.endsWith("classify") ? http.post(path, "image/png", Images.gradientPng(8, 8))
                    : http.get(path);
            assertProblem(r, 400, "bad-request");
        }
        // a request target Java's own client will not even send
        String raw = rawRequest("GET /v1/models/a|b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertThat(raw).startsWith("HTTP/1.1 400").containsIgnoringCase("content-type: application/problem+json");
        JsonNode body = JsonMapper.builder().build().readTree(raw.substring(raw.indexOf("\r\n\r\n") + 4));
        assertThat(body.get("code").asString()).isEqualTo("bad-request");
        assertThat(body.get("status").asInt()).isEqualTo(400);
    }

    @Test
    void theErrorPageIsNoResource() {
        for (Http.Response r : List.of(http.get("/error"), http.post("/error", "application/json", "{}".getBytes()))) {
            assertProblem(r, 404, "not-found");
            assertThat(r.body()).doesNotContain("999");
        }
        assertThat(http.get("/v3/api-docs").json().get("paths").has("/error")).as("in the API description").isFalse();
    }

    @Test
    void uploadsSpooledToDiskAreRemovedOnEveryPath() {
        // parts over 1 MB (file-size-threshold) are spooled to disk, then refused: by the controller (image
        // bytes), by the container (request bytes, while parsing) and by the pipeline (missing parts)
        assertThat(uploadSpool().toString()).contains("visionserve-server-" + ProcessHandle.current().pid() + "-");
        byte[] big = new byte[1100 * 1024];
        System.arraycopy(Images.gradientPng(8, 8), 0, big, 0, 8);
        assertProblem(http.multipart(CLASSIFY, List.of(part("file", big))), 413, "payload-too-large");
        assertProblem(http.multipart(BATCH, List.of(part("files", big), part("files", big), part("files", big))), 413,
                "payload-too-large");
        assertProblem(http.multipart(SEGMENT, List.of(part("fat", big), part("inn", big))), 400, "invalid-parameter");
    }

    private Http.Response classify(byte[] png) {
        return http.multipart(CLASSIFY, List.of(part("file", png)));
    }

    private static Http.Part part(String name, byte[] bytes) {
        return new Http.Part(name, name + ".png", "image/png", bytes);
    }

    /** Where Tomcat spools multipart parts: the context's temp dir, inside the server's folder. */
    private Path uploadSpool() {
        return ((File) servletContext.getAttribute(ServletContext.TEMPDIR)).toPath();
    }

    private String rawRequest(String request) throws IOException {
        try (Socket s = new Socket("localhost", port)) {
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A problem of the status and code, whose detail names no Java class or object. */
    static void assertProblem(Http.Response r, int status, String code) {
        ErrorsApiTest.assertProblem(r, status, code);
        assertThat(r.json().get("detail").asString()).doesNotContainPattern("java\\.|@[0-9a-f]{4,}|Exception");
    }
}
