package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.visionserve.service.action.TestClips;
import tools.jackson.databind.JsonNode;

/**
 * Every class of hostile input of issue 11, generated here, at its limit and just past it, against the
 * packaged jar in a child JVM with the shipped flags ({@link ServiceProcess}) and the default limits. For
 * every answer: the status the class demands (4xx, 503 or 504: never another 5xx), problem+json, no Java
 * class or object names in the detail; after every case the process is alive, serves a good image, and
 * its resident memory (VmHWM, the peak) stayed under {@link #RSS_BOUND_MIB}. The lifecycle cases measure
 * from outside what only the lifecycle can give: a deadline ({@code Request-Timeout}, {@code timeout})
 * answered with 504 within a second of it, an abandoned request's CPU stopping within a second of the
 * client's close, 200 slow uploads costing a normal request at most a second.
 *
 * <p>Each answer's time and the service's RSS before, after and at its peak go into a Markdown table,
 * {@code target/hostile-input-report.md}, printed at the end. Failures are collected per case (soft
 * assertions) so that every input of a class is sent and reported even when one fails. Cases that leave
 * work running on a service without cancellation wait (bounded) for it to go idle, so that the next case
 * is measured on a quiet service. The heaviest cases run last: on a service that exits, they are the
 * last to fail.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputIT {

    private static final String MODELS = "inception_next_atto,resnet101_rgb,resnet101_flow,ts_lstm_ucf101,ivd_net";
    private static final String CLASSIFY = "/v1/models/inception_next_atto/classify";
    private static final String BATCH = "/v1/models/inception_next_atto/classify-batch";
    private static final String RECOGNIZE = "/v1/models/ts_lstm_ucf101/recognize";
    private static final String SEGMENT = "/v1/models/ivd_net/segment";
    private static final String LIVENESS = "/actuator/health/liveness";
    private static final String IMAGE_KEYS = "visionserve.limits.";
    private static final String CLIP_PIXELS_KEY = "visionserve.action.limits.max-pixels";

    /** -Xmx2g: the heap can hold at most this (the chart's MaxRAMPercentage=50 of its 4 GiB limit). */
    private static final double HEAP_MIB = 2048;
    /**
     * The other half of the Helm chart's 4 GiB memory limit ({@code helm/visionserve/values.yaml}): what the
     * JVM's own memory and the native libraries may hold beside a full heap before the kernel kills the
     * pod. It holds ONNX Runtime's copies of the weights and its arenas (kept between runs at the largest
     * batch seen: 25-frame ResNet-101 batches, 256x256 slices), FFmpeg and OpenCV, metaspace, code cache
     * and thread stacks. Measured (RSS - committed heap, in the report): ~1.6 GB once every model has run,
     * up to ~2.5 GB on a service that ran an abandoned clip, a volume and a clip at once.
     */
    private static final double NATIVE_ALLOWANCE_MIB = 2048;
    /** No combination of requests within the limits may take the process past the chart's memory limit. */
    private static final double RSS_BOUND_MIB = HEAP_MIB + NATIVE_ALLOWANCE_MIB;
    /**
     * After a lifecycle case, the next starts once the service is idle or after this: a service that cancels
     * nothing keeps working for minutes (the all-zero volume), and the suite must still end.
     */
    private static final Duration IDLE_WAIT = Duration.ofSeconds(20);
    /** An idle service used 0.00 CPU-s in each of five 2 s windows (measured); a clip still running uses up to 4. */
    private static final double STOPPED_CPU_S = 0.25;
    /** A 2 s 320x240 clip: with TV-L1 (the default flow) ~40 flow pairs and two ResNet runs, ~10 s on two idle cores. */
    private static final int LONG_CLIP_FRAMES = 50;

    private static final List<Row> ROWS = Collections.synchronizedList(new ArrayList<>());
    /** After each case: its name, RSS and the heap's committed size (what the native allowance is measured by). */
    private static final List<String> AFTER_CASE = new ArrayList<>();
    private static ServiceProcess service;
    private static Http http;
    private static boolean peakResettable;
    private static byte[] longClip;

    private final SoftAssertions soft = new SoftAssertions();
    /** The peak RSS of this case so far (VmHWM is reset before each answer, for the answer's own peak). */
    private double casePeak;

    /** One answer (or group of answers) of the report. */
    private record Row(String cls, String input, String status, long ms, double rssBefore, double rssAfter,
                       double peak, String note) {
    }

    @BeforeAll
    static void start() throws Exception {
        service = new ServiceProcess("hostile-input").start(MODELS);
        http = service.http();
        peakResettable = service.resetPeakRss();
        longClip = clip(320, 240, LONG_CLIP_FRAMES);
        // the first request of each kind pays for class loading and JIT: not part of any case
        assertThat(http.post(CLASSIFY, "image/png", Images.gradientPng(64, 48)).status()).isEqualTo(200);
        Http.Response clip = http.multipart(RECOGNIZE + "?flow=farneback", List.of(video(clip(160, 120, 11))));
        assertThat(clip.status()).as(clip.body()).isEqualTo(200);
        double rss = service.rssMiB();
        double heap = service.heapCommittedMiB();
        AFTER_CASE.add(String.format(Locale.ROOT, "| (ready, warmed up) | %.0f | %.0f | %.0f | %.0f |%n",
                service.peakRssMiB(), rss, heap, rss - heap));
    }

    @BeforeEach
    void resetPeak() {
        if (service.isAlive()) {
            service.resetPeakRss();
        }
    }

    @AfterEach
    void aliveServingAndWithinTheMemoryBound(TestInfo test) throws IOException {
        soft.assertThat(service.isAlive()).as("service alive; log: %s", service.log()).isTrue();
        if (service.isAlive()) {
            try {
                Http.Response ok = http.post(CLASSIFY, "image/png", Images.gradientPng(64, 48));
                soft.assertThat(ok.status()).as("a good image after the case: " + ok.body()).isEqualTo(200);
            } catch (RuntimeException e) {
                soft.fail("a good image after the case: no answer (" + e + ")");
            }
            double rss = service.rssMiB();
            double heap = service.heapCommittedMiB();
            AFTER_CASE.add(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.0f | %.0f |%n",
                    test.getTestMethod().map(Method::getName).orElse("?"), foldPeak(), rss, heap, rss - heap));
            soft.assertThat(foldPeak()).as("peak RSS of the case, MiB (bound: -Xmx %s + native %s)",
                    HEAP_MIB, NATIVE_ALLOWANCE_MIB).isLessThanOrEqualTo(RSS_BOUND_MIB);
        }
        writeReport();
        soft.assertAll();
    }

    @AfterAll
    static void reportAndStop() throws Exception {
        System.out.println(writeReport());
        if (service != null) {
            assertThat(service.stop()).as("stopped").isTrue();
        }
    }

    /** Writes the table so far to target/hostile-input-report.md (after every case: a killed run keeps its rows). */
    private static String writeReport() throws IOException {
        StringBuilder md = new StringBuilder("# Hostile inputs against the packaged service (-Xmx2g -XX:+ExitOnOutOfMemoryError)\n\n")
                .append(String.format(Locale.ROOT, "RSS bound %.0f MiB (heap %.0f + native %.0f: the chart's 4 GiB limit); peak per answer: %s.%n%n",
                        RSS_BOUND_MIB, HEAP_MIB, NATIVE_ALLOWANCE_MIB, peakResettable
                                ? "VmHWM reset before each answer" : "VmHWM since the start (clear_refs not permitted)"))
                .append("| class | input | status | ms | RSS before MiB | RSS delta MiB | peak MiB | note |\n")
                .append("|---|---|---|---|---|---|---|---|\n");
        synchronized (ROWS) {
            for (Row r : ROWS) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %.0f | %+.0f | %.0f | %s |%n", r.cls, r.input,
                        r.status, r.ms, r.rssBefore, r.rssAfter - r.rssBefore, r.peak, r.note));
            }
        }
        md.append("\nAfter each case (RSS beyond the committed heap: what the native allowance bounds):\n\n")
                .append("| case | peak MiB | RSS MiB | heap committed MiB | RSS - heap MiB |\n|---|---|---|---|---|\n");
        AFTER_CASE.forEach(md::append);
        Files.writeString(Path.of("target", "hostile-input-report.md"), md);
        return md.toString();
    }

    @Test
    @Order(1)
    void malformedRequests() {
        problem(answer("malformed", "GET /v1/models/a%2Fb", () -> http.get("/v1/models/a%2Fb")), 400);
        problem(answer("malformed", "GET /error", () -> http.get("/error")), 404);
        byte[] png = Images.gradientPng(64, 48);
        problem(answer("malformed", "classify: `file` part twice", () -> http.multipart(CLASSIFY,
                List.of(image("file", png), image("file", png)))), 400);
        byte[] clip = clip(160, 120, 12);
        problem(answer("malformed", "recognize: `file` part twice", () -> http.multipart(RECOGNIZE,
                List.of(video(clip), video(clip)))), 400);
        byte[] half = Arrays.copyOf(longClip, longClip.length / 2);
        problem(answer("malformed", "recognize: MP4 cut in half (" + kb(half) + ")",
                () -> http.post(RECOGNIZE, "video/mp4", half)), 422);
    }

    @Test
    @Order(2)
    void aspectRatioBombsOnClassify() {
        for (int[] wh : new int[][] {{40_000_000, 1}, {1, 40_000_000}, {10, 4_000_000}, {10_001, 100}}) {
            byte[] png = HostilePngs.flatGrey(wh[0], wh[1], 128);
            tooLarge(answer("aspect-ratio bomb", "classify " + shape(wh) + " PNG (" + kb(png) + ")",
                    () -> http.multipart(CLASSIFY, List.of(image("file", png)))), "max-image-aspect-ratio");
        }
        byte[] atLimit = HostilePngs.flatGrey(10_000, 100, 128);
        served(answer("aspect-ratio bomb", "classify 10000x100 PNG (aspect 100 = limit)",
                () -> http.multipart(CLASSIFY, List.of(image("file", atLimit)))));
    }

    @Test
    @Order(3)
    void hugeDimensionsOnClassify() {
        byte[] huge = HostilePngs.flatGrey(25_000, 25_000, 0);
        tooLarge(answer("huge dimensions", "classify 25000x25000 PNG (" + kb(huge) + ")",
                () -> http.multipart(CLASSIFY, List.of(image("file", huge)))), "max-image-pixels");
        byte[] past = HostilePngs.flatRgb(6325, 6325, 90);
        tooLarge(answer("huge dimensions", "classify 6325x6325 RGB PNG (40,005,625 px)",
                () -> http.multipart(CLASSIFY, List.of(image("file", past)))), "max-image-pixels");
        byte[] atLimit = HostilePngs.flatRgb(6324, 6324, 90);
        served(answer("huge dimensions", "classify 6324x6324 RGB PNG (39,992,976 px, limit 40,000,000)",
                () -> http.multipart(CLASSIFY, List.of(image("file", atLimit)))));
    }

    @Test
    @Order(4)
    void batchesWithOneBadImage() {
        byte[] good = Images.gradientPng(64, 48);
        List<Http.Part> sixteen = new ArrayList<>(Collections.nCopies(16, image("files", good)));
        served(answer("batch", "16 good images (= max-batch-images)", () -> http.multipart(BATCH, sixteen)));
        List<Http.Part> seventeen = new ArrayList<>(Collections.nCopies(17, image("files", good)));
        Http.Response r = answer("batch", "17 good images", () -> http.multipart(BATCH, seventeen));
        problem(r, 413);
        byte[] bomb = HostilePngs.flatGrey(40_000_000, 1, 128);
        r = answer("batch", "4 good + 40000000x1 as image 2", () -> http.multipart(BATCH, badAt(good, 2, bomb)));
        tooLarge(r, "max-image-aspect-ratio");
        imageIndex(r, 2);
        byte[] huge = HostilePngs.headerOnly(25_000, 25_000);
        r = answer("batch", "4 good + 25000x25000 header as image 1", () -> http.multipart(BATCH, badAt(good, 1, huge)));
        tooLarge(r, "max-image-pixels");
        imageIndex(r, 1);
        byte[] cut = Images.truncated(Images.gradientPng(640, 480), 2000);
        r = answer("batch", "4 good + truncated PNG as image 3", () -> http.multipart(BATCH, badAt(good, 3, cut)));
        problem(r, 422);
        imageIndex(r, 3);
    }

    @Test
    @Order(5)
    void hostileFramesOnRecognize() {
        for (int[] wh : new int[][] {{40_000_000, 1}, {1, 40_000_000}, {10, 4_000_000}, {25_000, 25_000}, {641, 480}}) {
            byte[] png = HostilePngs.flatGrey(wh[0], wh[1], 128);
            List<Http.Part> parts = frames(320, 240, 12);
            parts.set(5, frame(png));
            tooLarge(answer(wh[0] == 25_000 ? "huge frame" : wh[0] == 641 ? "frame pixels" : "aspect-ratio bomb",
                    "recognize frames, frame 5 " + shape(wh) + " PNG (" + kb(png) + ")",
                    () -> http.multipart(RECOGNIZE + "?flow=farneback", parts)), CLIP_PIXELS_KEY);
        }
        served(answer("frame pixels", "recognize 11 frames 640x480 (= max-pixels), farneback",
                () -> http.multipart(RECOGNIZE + "?flow=farneback", frames(640, 480, 11))));
    }

    @Test
    @Order(6)
    void hugeDimensionVideoContainers() {
        // 3840x2160 (27 times max-pixels) in a 2-frame H.264 MP4 of a few KB
        byte[] uhd = flatClip(3840, 2160, 2);
        tooLarge(answer("video dimensions", "recognize H.264 MP4 3840x2160 (" + kb(uhd) + ")",
                () -> http.post(RECOGNIZE, "video/mp4", uhd)), CLIP_PIXELS_KEY);
        byte[] past = clip(642, 480, 11);
        tooLarge(answer("video dimensions", "recognize H.264 MP4 642x480", () -> http.post(RECOGNIZE, "video/mp4", past)),
                CLIP_PIXELS_KEY);
        byte[] atLimit = clip(640, 480, 11);
        served(answer("video dimensions", "recognize H.264 MP4 640x480 (= max-pixels), farneback",
                () -> http.post(RECOGNIZE + "?flow=farneback", "video/mp4", atLimit)));
    }

    @Test
    @Order(7)
    void volumeHeaders() {
        byte[] atLimit = HostileVolumes.headerOnly(128, 512, 512, HostileVolumes.INT16);
        Http.Response r = answer("volume header", "int16 128x512x512 header, no data (= max-volume-voxels)",
                () -> http.multipart(SEGMENT, exam(atLimit, "nii", "application/octet-stream")));
        problem(r, 400); // past the limit check, then found truncated
        soft.assertThat(r == null ? null : r.json().path("code").asString()).isEqualTo("invalid-volume");
        byte[] voxels = HostileVolumes.headerOnly(129, 512, 512, HostileVolumes.INT16);
        tooLarge(answer("volume header", "int16 129x512x512 header, no data",
                () -> http.multipart(SEGMENT, exam(voxels, "nii", "application/octet-stream"))), "max-volume-voxels");
        byte[] bytes = HostileVolumes.headerOnly(128, 512, 512, HostileVolumes.FLOAT64);
        tooLarge(answer("volume header", "float64 128x512x512 header (256 MiB + 352 B), no data",
                () -> http.multipart(SEGMENT, exam(bytes, "nii", "application/octet-stream"))), "max-volume-bytes");
        byte[] huge = HostileVolumes.headerOnly(32_767, 32_767, 32_767, HostileVolumes.INT16);
        tooLarge(answer("volume header", "int16 32767x32767x32767 header, no data",
                () -> http.multipart(SEGMENT, exam(huge, "nii", "application/octet-stream"))), "max-volume-voxels");
    }

    @Test
    @Order(8)
    void slowUploadsDoNotDelayANormalRequest() throws Exception {
        byte[] png = Images.gradientPng(64, 48);
        long classifyUnloaded = medianMs(() -> http.post(CLASSIFY, "image/png", png));
        long liveUnloaded = medianMs(() -> http.get(LIVENESS));
        List<Socket> slow = new ArrayList<>();
        ScheduledExecutorService trickler = Executors.newSingleThreadScheduledExecutor();
        double before = service.rssMiB();
        try {
            byte[] head = ("POST " + CLASSIFY + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
                    + "Content-Length: 1000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            long opened = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                Socket s = new Socket("localhost", service.port());
                slow.add(s);
                s.getOutputStream().write(head);
                s.getOutputStream().write(0x89);
            }
            // one byte every 2 s each: inside the read timeout, far below the minimum rate once its grace has passed
            trickler.scheduleWithFixedDelay(() -> slow.forEach(s -> {
                try {
                    s.getOutputStream().write('P');
                } catch (IOException e) {
                    // cut by the server: counted below
                }
            }), 2, 2, TimeUnit.SECONDS);
            Thread.sleep(1000); // every slow request is in its body read now
            Http.Response c = answer("slow uploads", "classify 64x48 during 200 slow uploads (unloaded "
                    + classifyUnloaded + " ms)", () -> http.post(CLASSIFY, "image/png", png));
            long classifyMs = last().ms;
            Http.Response l = answer("slow uploads", "liveness during 200 slow uploads (unloaded " + liveUnloaded + " ms)",
                    () -> http.get(LIVENESS));
            long liveMs = last().ms;
            long held = slow.stream().filter(s -> available(s) == 0).count();
            soft.assertThat(held).as("slow uploads still held (unanswered) while measuring").isEqualTo(200);
            soft.assertThat(c == null ? 0 : c.status()).isEqualTo(200);
            soft.assertThat(l == null ? 0 : l.status()).isEqualTo(200);
            soft.assertThat(classifyMs).as("classify under load vs unloaded + 1 s").isLessThanOrEqualTo(classifyUnloaded + 1000);
            soft.assertThat(liveMs).as("liveness under load vs unloaded + 1 s").isLessThanOrEqualTo(liveUnloaded + 1000);

            // each slow upload is then cut: 408 problem+json, or closed where no answer can be written
            int cut408 = 0;
            int closed = 0;
            List<String> other = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (Socket s : slow) {
                String a = readAnswer(s, deadline);
                if (a.startsWith("HTTP/1.1 408") && a.toLowerCase(Locale.ROOT).contains("content-type: application/problem+json")) {
                    cut408++;
                } else if (a.isEmpty()) {
                    closed++;
                } else {
                    other.add(a);
                }
            }
            long cutMs = (System.nanoTime() - opened) / 1_000_000;
            ROWS.add(new Row("slow uploads", "200 uploads of 1 byte / 2 s (Content-Length 1,000,000)",
                    "408 x" + cut408 + ", closed x" + closed + (other.isEmpty() ? "" : ", other x" + other.size()), cutMs,
                    before, service.rssMiB(), service.peakRssMiB(), "all cut after " + cutMs + " ms"));
            soft.assertThat(other).as("answers to slow uploads other than 408 problem+json").isEmpty();
        } finally {
            trickler.shutdownNow();
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    @Order(9)
    void aDeadlineInARequestTimeoutHeaderEndsASlowClip() throws Exception {
        Http.Response r = answer("deadline", "recognize 2 s 320x240 clip, TV-L1, Request-Timeout: 1",
                () -> http.multipart(RECOGNIZE, List.of(video(longClip)), Duration.ofSeconds(11), "Request-Timeout", "1"));
        deadlineExceeded(r, 1000);
    }

    @Test
    @Order(10)
    void aDeadlineInATimeoutParameterEndsASlowVolume() throws Exception {
        byte[] zeros = HostileVolumes.flatGz(64, 256, 256, 0);
        Http.Response r = answer("deadline", "segment all-zero 64x256x256 uint8 volume (" + kb(zeros) + " gz), ?timeout=2",
                () -> http.multipart(SEGMENT + "?timeout=2", exam(zeros, "nii.gz", "application/gzip"),
                        Duration.ofSeconds(12)));
        deadlineExceeded(r, 2000);
    }

    @Test
    @Order(11)
    void anAbandonedClipStopsUsingCpuWithinASecond() throws Exception {
        double before = service.rssMiB();
        long start = System.nanoTime();
        double cpuAtClose;
        double cpuSent;
        boolean answered;
        try (Socket s = new Socket("localhost", service.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST " + RECOGNIZE + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: video/mp4\r\nContent-Length: "
                    + longClip.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(longClip);
            out.flush();
            cpuSent = service.cpuSeconds();
            Thread.sleep(1000);
            cpuAtClose = service.cpuSeconds();
            answered = available(s) != 0;
        }
        long closed = System.nanoTime();
        Thread.sleep(1000);
        double c0 = service.cpuSeconds();
        Thread.sleep(2000);
        double window = service.cpuSeconds() - c0;
        double busy = awaitIdle();
        ROWS.add(new Row("abandoned clip", "recognize 2 s 320x240 clip, TV-L1, raw socket closed after 1 s",
                answered ? "answered before the close" : "closed by client", (closed - start) / 1_000_000, before,
                service.rssMiB(), service.peakRssMiB(), String.format(Locale.ROOT,
                "CPU %.2f s in the second before the close, %.2f s in [close+1 s, close+3 s]; %s", cpuAtClose - cpuSent,
                window, idleNote(busy))));
        soft.assertThat(answered).as("the clip was still being worked on at the close").isFalse();
        soft.assertThat(cpuAtClose - cpuSent).as("CPU seconds used on the clip before the close").isGreaterThan(0.1);
        soft.assertThat(window).as("CPU seconds used from 1 s to 3 s after the client closed").isLessThanOrEqualTo(STOPPED_CPU_S);
    }

    @Test
    @Order(12)
    void thirtyTwoConcurrentHeavyImages() throws Exception {
        byte[] png = HostilePngs.flatRgb(6000, 6000, 90);
        double before = service.rssMiB();
        ExecutorService clients = Executors.newFixedThreadPool(32);
        List<Future<Http.Response>> answers = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < 32; i++) {
            answers.add(clients.submit(() -> http.multipart(CLASSIFY, List.of(image("file", png)), Duration.ofSeconds(180))));
        }
        int ok = 0;
        int busy = 0;
        int late = 0;
        List<String> other = new ArrayList<>();
        for (Future<Http.Response> f : answers) {
            try {
                Http.Response r = f.get();
                if (r.status() == 200) {
                    ok++;
                    soft.assertThat(r.json().path("images").path(0).path("width").asInt()).isEqualTo(6000);
                } else if (r.status() == 503) {
                    busy++;
                    problem(r, 503);
                    soft.assertThat(r.raw().headers().firstValue("Retry-After").orElse("")).as("503 Retry-After seconds")
                            .matches("[1-9][0-9]*");
                } else if (r.status() == 504 && r.body().contains("deadline-exceeded")) {
                    late++; // admitted in turn by memory cost, its deadline (30 s) passed in the queue
                    problem(r, 504);
                } else {
                    other.add(r.status() + " " + r.body());
                }
            } catch (Exception e) {
                other.add("no answer: " + e.getCause());
            }
        }
        clients.shutdown();
        long ms = (System.nanoTime() - start) / 1_000_000;
        boolean alive = service.isAlive();
        ROWS.add(new Row("32 concurrent heavy images", "classify 32 x 6000x6000 RGB PNG (" + kb(png) + " each) at once",
                "200 x" + ok + ", 503 x" + busy + ", 504 x" + late + (other.isEmpty() ? "" : ", other x" + other.size()),
                ms, before,
                alive ? service.rssMiB() : Double.NaN, alive ? service.peakRssMiB() : Double.NaN,
                alive ? "all answered after " + ms + " ms" : "service " + service.exitReason()));
        soft.assertThat(other).as("answers other than 200, 503 or 504 deadline-exceeded problem+json").isEmpty();
        soft.assertThat(ok).as("images served").isPositive();
    }

    // ---- answers and their checks

    /** Sends one request, recording its time and the service's RSS; null (and a failure) when there is no answer. */
    private Http.Response answer(String cls, String input, Supplier<Http.Response> request) {
        boolean alive = service.isAlive();
        double before = alive ? service.rssMiB() : Double.NaN;
        if (alive) {
            foldPeak();
            service.resetPeakRss();
        }
        long start = System.nanoTime();
        Http.Response r = null;
        String status;
        try {
            r = request.get();
            status = Integer.toString(r.status());
        } catch (RuntimeException e) {
            status = "no answer (" + e.getClass().getSimpleName() + ")";
            soft.fail(cls + ", " + input + ": no answer: " + e);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        alive = service.isAlive();
        String note = !alive ? "service " + service.exitReason() : "";
        if (r != null && r.status() >= 400 && r.contentType().startsWith("application/problem+json")) {
            JsonNode p = r.json();
            note = p.path("code").asString("") + (p.has("configKey") ? " " + p.path("configKey").asString() : "");
        }
        ROWS.add(new Row(cls, input, status, ms, before, alive ? service.rssMiB() : Double.NaN,
                alive ? service.peakRssMiB() : Double.NaN, note));
        return r;
    }

    private double foldPeak() {
        double peak = service.peakRssMiB();
        if (!Double.isNaN(peak)) {
            casePeak = Math.max(casePeak, peak);
        }
        return casePeak;
    }

    private static Row last() {
        return ROWS.get(ROWS.size() - 1);
    }

    private void served(Http.Response r) {
        if (r != null) {
            soft.assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
    }

    /** The status, as problem+json whose detail names no Java class, object or package of ours. */
    private void problem(Http.Response r, int status) {
        if (r == null) {
            return;
        }
        soft.assertThat(r.status()).as(r.body()).isEqualTo(status);
        soft.assertThat(r.contentType()).as("content type of " + r.body()).startsWith("application/problem+json");
        if (r.contentType().startsWith("application/problem+json")) {
            JsonNode p = r.json();
            soft.assertThat(p.path("status").asInt()).isEqualTo(r.status());
            soft.assertThat(p.path("type").asString()).startsWith("urn:visionserve:problem:");
            soft.assertThat(p.path("detail").asString()).as("detail").isNotBlank()
                    .doesNotContainPattern("@[0-9a-f]+|java\\.|org\\.visionserve");
        }
    }

    private void tooLarge(Http.Response r, String key) {
        problem(r, 413);
        if (r != null && r.contentType().startsWith("application/problem+json")) {
            String configKey = r.json().path("configKey").asString("");
            soft.assertThat(configKey).as("configKey").isEqualTo(key.contains(".") ? key : IMAGE_KEYS + key);
        }
    }

    private void imageIndex(Http.Response r, int index) {
        if (r != null && r.contentType().startsWith("application/problem+json")) {
            soft.assertThat(r.json().path("image").asInt(-1)).as("image index").isEqualTo(index);
        }
    }

    /**
     * 504 problem+json within a second of the deadline, then the service's CPU stops within a second: the
     * CPU it used from 1 s to 3 s after the answer is what an idle service uses.
     */
    private void deadlineExceeded(Http.Response r, long deadlineMs) throws InterruptedException {
        Row row = last();
        problem(r, 504);
        soft.assertThat(row.ms).as("answered within a second of the %d ms deadline", deadlineMs)
                .isLessThanOrEqualTo(deadlineMs + 1000);
        Thread.sleep(1000);
        double c0 = service.cpuSeconds();
        Thread.sleep(2000);
        double window = service.cpuSeconds() - c0;
        double busy = awaitIdle();
        ROWS.set(ROWS.indexOf(row), new Row(row.cls, row.input, row.status, row.ms, row.rssBefore, row.rssAfter, row.peak,
                (row.note.isEmpty() ? "" : row.note + "; ") + String.format(Locale.ROOT,
                        "CPU %.2f s in [answer+1 s, answer+3 s]; %s", window, idleNote(busy))));
        soft.assertThat(window).as("CPU seconds used from 1 s to 3 s after the answer").isLessThanOrEqualTo(STOPPED_CPU_S);
    }

    /** Waits (at most IDLE_WAIT) until the service uses less than 0.1 CPU-s in a second; the seconds waited, -1 if never. */
    private static double awaitIdle() throws InterruptedException {
        long start = System.nanoTime();
        while (System.nanoTime() - start < IDLE_WAIT.toNanos() && service.isAlive()) {
            double c0 = service.cpuSeconds();
            Thread.sleep(1000);
            if (service.cpuSeconds() - c0 < 0.1) {
                return (System.nanoTime() - start) / 1e9 - 1;
            }
        }
        return -1;
    }

    private static String idleNote(double busy) {
        return busy < 0 ? "still busy after " + IDLE_WAIT.toSeconds() + " s more"
                : busy < 0.5 ? "idle" : String.format(Locale.ROOT, "busy %.0f s more", busy);
    }

    private static long medianMs(Supplier<Http.Response> request) {
        long[] ms = new long[5];
        for (int i = 0; i < ms.length; i++) {
            long start = System.nanoTime();
            assertThat(request.get().status()).isEqualTo(200);
            ms[i] = (System.nanoTime() - start) / 1_000_000;
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    private static int available(Socket s) {
        try {
            return s.getInputStream().available();
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * The server's answer: read until it closes, or until the head and the Content-Length body are in (a
     * 408 may leave the connection open); empty when it closed with nothing; by {@code deadline}
     * (System.nanoTime), else says so.
     */
    private static String readAnswer(Socket s, long deadline) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            InputStream in = s.getInputStream();
            while (!complete(got.toString(StandardCharsets.ISO_8859_1))) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return "no complete answer and no close in time: " + got.toString(StandardCharsets.ISO_8859_1);
                }
                s.setSoTimeout((int) left);
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                got.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            return "no complete answer and no close in time: " + got.toString(StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            // reset: closed
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    /** The head and the whole body are in: Content-Length bytes, or chunks up to the last (empty) one. */
    private static boolean complete(String answer) {
        int end = answer.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        String head = answer.substring(0, end).toLowerCase(Locale.ROOT);
        String body = answer.substring(end + 4);
        if (head.contains("transfer-encoding: chunked")) {
            return body.startsWith("0\r\n\r\n") || body.contains("\r\n0\r\n\r\n");
        }
        Matcher m = Pattern.compile("(?m)^content-length:\\s*(\\d+)").matcher(head);
        return !m.find() || body.length() >= Integer.parseInt(m.group(1));
    }

    // ---- inputs

    private static Http.Part image(String name, byte[] png) {
        return new Http.Part(name, name + ".png", "image/png", png);
    }

    private static Http.Part frame(byte[] png) {
        return new Http.Part("frames", "frame.png", "image/png", png);
    }

    private static Http.Part video(byte[] mp4) {
        return new Http.Part("file", "clip.mp4", "video/mp4", mp4);
    }

    private static List<Http.Part> frames(int w, int h, int n) {
        List<Http.Part> parts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            parts.add(frame(HostilePngs.flatGrey(w, h, 20 * i)));
        }
        return parts;
    }

    private static List<Http.Part> badAt(byte[] good, int index, byte[] bad) {
        List<Http.Part> parts = new ArrayList<>(Collections.nCopies(5, image("files", good)));
        parts.set(index, image("files", bad));
        return parts;
    }

    private static List<Http.Part> exam(byte[] volume, String ext, String type) {
        List<Http.Part> parts = new ArrayList<>();
        for (String m : List.of("fat", "inn", "opp", "wat")) {
            parts.add(new Http.Part(m, m + "." + ext, type, volume));
        }
        return parts;
    }

    /** An H.264 MP4 of a textured square moving (3, 2) px per frame, 25 fps. */
    private static byte[] clip(int w, int h, int frames) {
        try {
            return TestClips.encode(TestClips.Kind.MP4_H264, w, h, 25, TestClips.frames(w, h, frames, 3, 2));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A clip of flat grey frames: tiny however large its frames (no texture to encode). */
    private static byte[] flatClip(int w, int h, int frames) {
        List<byte[]> rgb = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            byte[] f = new byte[w * h * 3];
            Arrays.fill(f, (byte) (60 + 10 * i));
            rgb.add(f);
        }
        try {
            return TestClips.encode(TestClips.Kind.MP4_H264, w, h, 25, rgb);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String shape(int[] wh) {
        return wh[0] + "x" + wh[1];
    }

    private static String kb(byte[] b) {
        return b.length < 10_000 ? b.length + " B" : String.format(Locale.ROOT, "%.0f KB", b.length / 1000.0);
    }
}
