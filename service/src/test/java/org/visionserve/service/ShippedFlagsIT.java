package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged service jar in a child JVM with the flags the image ships ({@code -Xmx2g
 * -XX:+ExitOnOutOfMemoryError}: an OutOfMemoryError ends the process) and the default limits, sent the
 * inputs that used to exhaust its heap or hold it: after each it must still be running and serve good
 * requests, and when it stops, its temp dir (a fresh {@code java.io.tmpdir}) must be empty.
 *
 * <p>Models: the default classifier's small sibling, the clip models and IVD-Net ({@link ServiceProcess}).
 */
class ShippedFlagsIT {

    private static final String MODELS = "inception_next_atto,resnet101_rgb,resnet101_flow,ts_lstm_ucf101,ivd_net";
    private static final String CLASSIFY = "/v1/models/inception_next_atto/classify";
    private static final String RECOGNIZE = "/v1/models/ts_lstm_ucf101/recognize?flow=farneback";

    private static ServiceProcess service;
    private static Path tmp;
    private static Path staleDir;
    private static Http http;

    @BeforeAll
    static void start() throws Exception {
        service = new ServiceProcess("shipped-flags");
        tmp = service.tmp();
        // the folder a crashed run would leave: its process has ended
        Process ended = new ProcessBuilder(ServiceProcess.javaBin(), "-version").redirectErrorStream(true).start();
        ended.getInputStream().readAllBytes();
        ended.waitFor();
        staleDir = Files.createDirectories(tmp.resolve("visionserve-server-" + ended.pid() + "-1/work"));
        Files.writeString(staleDir.resolve("upload_1.tmp"), "left by a crash");
        http = service.start(MODELS).http();
    }

    @AfterEach
    void stillServingWithNoUploadLeft() throws IOException {
        assertThat(service.isAlive()).as("service alive; log: %s", service.log()).isTrue();
        Http.Response ok = http.post(CLASSIFY, "image/png", Images.gradientPng(64, 48));
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        try (Stream<Path> files = Files.walk(tmp)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith("upload_")).toList())
                    .as("multipart parts spooled and not deleted").isEmpty();
        }
    }

    @AfterAll
    static void stopAndLeaveNothing() throws Exception {
        if (service == null) {
            return;
        }
        assertThat(service.stop()).as("stopped").isTrue();
        try (Stream<Path> left = Files.walk(tmp)) {
            assertThat(left.filter(p -> !p.equals(tmp)).map(tmp::relativize).toList())
                    .as("left in java.io.tmpdir after a stop").isEmpty();
        }
    }

    @Test
    void aStaleServerFolderIsRemovedAtStart() {
        assertThat(staleDir.getParent()).doesNotExist();
    }

    @Test
    void aspectRatioBombsWithinThePixelLimit() {
        for (int[] wh : new int[][] {{40_000_000, 1}, {1, 40_000_000}, {10, 4_000_000}}) {
            byte[] png = HostilePngs.flatGrey(wh[0], wh[1], 128);
            assertTooLarge(http.multipart(CLASSIFY, List.of(part("file", png))), "max-image-aspect-ratio");
            assertTooLarge(http.post(CLASSIFY, "image/png", png), "max-image-aspect-ratio");
            assertTooLarge(http.multipart("/v1/models/inception_next_atto/classify-batch",
                    List.of(part("files", Images.gradientPng(64, 48)), part("files", png))), "max-image-aspect-ratio");
        }
    }

    @Test
    void hugeImagesInSmallFiles() {
        byte[] huge = HostilePngs.flatGrey(25_000, 25_000, 0);
        assertTooLarge(http.multipart(CLASSIFY, List.of(part("file", huge))), "max-image-pixels");
        List<Http.Part> frames = goodFrames();
        frames.set(5, part("frames", huge));
        assertTooLarge(http.multipart(RECOGNIZE, frames), "max-pixels");
        // PNG slices of 1 x 30,000,000 pass max-volume-voxels, not max-slice-pixels once padded
        byte[] strip = HostilePngs.flatGrey(30_000_000, 1, 0);
        List<Http.Part> exam = new ArrayList<>();
        for (String m : List.of("fat", "inn", "opp", "wat")) {
            exam.add(part(m, strip));
        }
        assertTooLarge(http.multipart("/v1/models/ivd_net/segment", exam), "max-slice-pixels");
    }

    @Test
    void damagedAndMalformedRequests() {
        byte[] cut = new byte[4096];
        System.arraycopy("\0\0\0\u0018ftypisom\0\0\0\0isomiso2".getBytes(StandardCharsets.ISO_8859_1), 0, cut, 0, 24);
        Http.Response r = http.post(RECOGNIZE, "video/mp4", cut);
        assertProblem(r, 422);
        assertProblem(http.multipart(CLASSIFY, List.of(part("file", Images.gradientPng(64, 48)),
                part("file", Images.gradientPng(64, 48)))), 400);
        assertProblem(http.get("/v1/models/a%2Fb"), 400);
        assertProblem(http.get("/error"), 404);
    }

    @Test
    void goodClipsAreStillRecognised() {
        Http.Response r = http.multipart(RECOGNIZE, goodFrames());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    private static List<Http.Part> goodFrames() {
        List<Http.Part> frames = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            frames.add(part("frames", HostilePngs.flatGrey(320, 240, 20 * i)));
        }
        return frames;
    }

    private static void assertTooLarge(Http.Response r, String key) {
        assertProblem(r, 413);
        assertThat(r.json().get("configKey").asString()).endsWith("." + key);
    }

    private static void assertProblem(Http.Response r, int status) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.json().get("detail").asString()).doesNotContainPattern("java\\.|@[0-9a-f]{4,}|Exception");
    }

    private static Http.Part part(String name, byte[] bytes) {
        return new Http.Part(name, name + ".png", "image/png", bytes);
    }
}
