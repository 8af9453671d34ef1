package org.visionserve.service.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import org.visionserve.service.HostilePngs;
import org.visionserve.service.Http;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.HeldRunner;
import org.visionserve.service.runtime.ModelRunner;
import org.visionserve.service.runtime.RequestScope;

/**
 * The clip endpoint on the one request lifecycle (limits of {@link ActionTestBase}: 160 x 120 = 19,200
 * pixels, 1:10, 60 frames, one clip at a time, none waiting): measured from headers and refused over a
 * limit before anything is decoded (the decoder's frame count does not move), admitted by
 * {@link Admission} (503 {@code overloaded} when its pool is full), stopped at its deadline (504) or when
 * its client goes away, after which nothing of it runs and the next clip is served. A clip of 60 frames
 * with TV-L1 takes many seconds here (50 frame pairs, two ResNet-101 passes of 25 frames on two threads).
 */
class RecognizeLifecycleApiTest extends ActionTestBase {

    private static final String LIMITS = "visionserve.action.limits.";
    private static final String POOL = ActionRecognitionService.POOL;

    /**
     * Issue 12: frames of concurrent clips share the ResNets' runs. With two places in the clip pool, the
     * two clips' first 13-frame RGB sub-batches queue at the held RGB ResNet; let go, they run as one
     * batch of 26 (this context's max-batch-size for both ResNets); later sub-batches share a run when
     * they meet. Alone each clip takes 4 ResNet runs (13 + 12 frames per stream); together at most 7,
     * whatever the timing, and each clip's answer is the one it gets alone within 1e-5.
     */
    @Test
    void framesOfConcurrentClipsShareResNetRuns() throws Exception {
        List<byte[]> clips = List.of(mp4(12, 3, 2), mp4(12, -2, 3));
        List<JsonNode> alone = new ArrayList<>();
        double before = resNetRuns();
        for (byte[] clip : clips) {
            Http.Response r = postVideo(TS_LSTM, "?flow=farneback", clip);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            alone.add(r.json());
        }
        double aloneRuns = resNetRuns() - before;
        assertThat(aloneRuns).as("ResNet runs of the two clips alone").isEqualTo(8);

        Admission.Limits limits = admission.limits(POOL);
        admission.define(POOL, new Admission.Limits(2, limits.queueCapacity(), limits.configKey()));
        ExecutorService clients = Executors.newFixedThreadPool(2);
        try {
            ModelRunner rgb = models.ready(RGB).runner();
            List<CompletableFuture<Http.Response>> answers = new ArrayList<>();
            before = resNetRuns();
            double rgbBefore = runs(RGB);
            try (HeldRunner held = HeldRunner.hold(rgb)) {
                for (byte[] clip : clips) {
                    answers.add(CompletableFuture.supplyAsync(() -> postVideo(TS_LSTM, "?flow=farneback", clip), clients));
                }
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                while (rgb.queueDepth() < 2) {
                    assertThat(System.nanoTime()).as("both clips' first frames waiting for the RGB ResNet")
                            .isLessThan(deadline);
                    Thread.sleep(5);
                }
            }
            for (int i = 0; i < clips.size(); i++) {
                Http.Response r = answers.get(i).get(3, TimeUnit.MINUTES);
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                for (String part : List.of("predictions", "baseline", "streams")) {
                    assertSameAnswer(r.json().get(part), alone.get(i).get(part), "clip " + i + " " + part);
                }
            }
            assertThat(runs(RGB) - rgbBefore).as("RGB runs together: 13 + 13, then 12 and 12 alone or together").isLessThanOrEqualTo(3);
            assertThat(resNetRuns() - before).as("ResNet runs together").isLessThan(aloneRuns);
        } finally {
            clients.shutdownNow();
            admission.define(POOL, limits);
        }
    }

    private double runs(String model) {
        return counterOrZero("visionserve_batch_size_count", "model", model);
    }

    private double resNetRuns() {
        return runs(RGB) + runs(FLOW);
    }

    /** Equal JSON, numbers within 1e-5. */
    private static void assertSameAnswer(JsonNode got, JsonNode want, String where) {
        assertThat(got).as(where).isNotNull();
        if (want.isNumber()) {
            assertThat(got.asDouble()).as(where).isCloseTo(want.asDouble(), org.assertj.core.data.Offset.offset(1e-5));
        } else if (want.isArray()) {
            assertThat(got.size()).as(where).isEqualTo(want.size());
            for (int i = 0; i < want.size(); i++) {
                assertSameAnswer(got.get(i), want.get(i), where + "[" + i + "]");
            }
        } else if (want.isObject()) {
            assertThat(List.copyOf(got.propertyNames())).as(where).isEqualTo(List.copyOf(want.propertyNames()));
            for (String name : want.propertyNames()) {
                assertSameAnswer(got.get(name), want.get(name), where + "." + name);
            }
        } else {
            assertThat(got).as(where).isEqualTo(want);
        }
    }

    @Test
    void aContainerDeclaringAHugeOrStretchedFrameIsRefusedFromItsHeader() {
        ClipDecoder decoder = service.pipeline().decoder();
        byte[] clip = mp4(12, 3, 2);
        long decoded = decoder.framesDecoded();

        Http.Response huge = postVideo(TS_LSTM, "?flow=farneback", TestClips.declaringFrameSize(clip, 20_000, 20_000));
        assertTooLarge(huge, LIMITS + "max-pixels", W * H);
        assertThat(huge.json().get("detail").asString()).contains("20000x20000");
        Http.Response stretched = postVideo(TS_LSTM, "?flow=farneback", TestClips.declaringFrameSize(clip, 1_000, 10));
        assertTooLarge(stretched, LIMITS + "max-aspect-ratio", 10);
        assertThat(decoder.framesDecoded()).as("nothing decoded").isEqualTo(decoded);

        // The codec's own header in those files says 160x120: decoding them would have served them, as
        // it serves the unaltered clip (12 frames decoded).
        Http.Response ok = postVideo(TS_LSTM, "?flow=farneback", clip);
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(decoder.framesDecoded()).isEqualTo(decoded + 12);
    }

    @Test
    void framesPastTheAspectRatioLimitAreRefusedFromTheirHeaders() {
        ClipDecoder decoder = service.pipeline().decoder();
        long decoded = decoder.framesDecoded();
        for (int[] wh : new int[][] {{W * H, 1}, {1, W * H}, {440, 43}}) {
            List<Http.Part> parts = new ArrayList<>();
            for (int i = 0; i < 11; i++) {
                parts.add(new Http.Part("frames", "f.png", "image/png", HostilePngs.flatGrey(wh[0], wh[1], 10 * i)));
            }
            Http.Response r = http.multipart("/v1/models/" + TS_LSTM + "/recognize?flow=farneback", parts);
            assertTooLarge(r, LIMITS + "max-aspect-ratio", 10);
            assertThat(r.json().get("detail").asString()).contains(wh[0] + "x" + wh[1]);
        }
        assertThat(decoder.framesDecoded()).as("nothing decoded").isEqualTo(decoded);
    }

    @Test
    void aFullClipQueueIsRefused503WithRetryAfterBeforeDecoding() throws Exception {
        ClipDecoder decoder = service.pipeline().decoder();
        double before = counterOrZero("visionserve_requests_total", "model", TS_LSTM, "outcome", "rejected");
        List<Admission.Ticket> held = new ArrayList<>();
        try (RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(1))) {
            for (int i = 0; i < admission.limits(POOL).concurrency(); i++) {
                held.add(admission.admit(POOL, 0, scope));
            }
            long decoded = decoder.framesDecoded();
            Http.Response r = postVideo(TS_LSTM, "?flow=farneback", mp4(12, 3, 2));
            assertProblem(r, 503, "overloaded");
            assertThat(Long.parseLong(r.raw().headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 300L);
            assertThat(r.json().get("queueCapacity").asInt()).isZero();
            assertThat(r.json().get("detail").asString()).contains("visionserve.action.concurrency");
            assertThat(decoder.framesDecoded()).as("nothing decoded").isEqualTo(decoded);
        } finally {
            held.forEach(Admission.Ticket::close);
        }
        assertThat(metric("visionserve_requests_total", "model", TS_LSTM, "outcome", "rejected"))
                .isEqualTo(before + 1);
        assertThat(admission.active(POOL)).isZero();
        assertThat(postVideo(TS_LSTM, "?flow=farneback", mp4(12, 3, 2)).status()).isEqualTo(200);
    }

    @Test
    void pastItsRequestTimeoutAClipIsAnswered504AndStopped() throws Exception {
        OpticalFlow flow = service.pipeline().flow();
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + "/v1/models/" + TS_LSTM + "/recognize"))
                .header("Content-Type", "video/mp4").header("Request-Timeout", "1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(mp4(60, 1, 1))).build(), HttpResponse.BodyHandlers.ofString());
        Http.Response timedOut = new Http.Response(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""),
                r.body(), r);
        assertProblem(timedOut, 504, "deadline-exceeded");
        assertThat(timedOut.json().get("timeoutSeconds").asDouble()).isEqualTo(1.0);
        assertThat(admission.active(POOL)).isZero();
        assertThat(admission.reservedBytes()).isZero();
        assertNothingOfItRunsAndTheNextClipIsServed(flow);
    }

    @Test
    void aClientThatGoesAwayStopsItsClip() throws Exception {
        OpticalFlow flow = service.pipeline().flow();
        double aborts = counterOrZero("visionserve_client_aborts_total", "stage", "processing");
        long pairs = flow.pairsComputed();
        byte[] clip = mp4(60, 1, 1);
        try (Socket s = new Socket("localhost", port)) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/models/" + TS_LSTM + "/recognize HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: video/mp4\r\nContent-Length: " + clip.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(clip);
            out.flush();
            while (flow.pairsComputed() == pairs) {
                assertThat(s.getInputStream().available()).as("no answer before its flow starts").isZero();
                Thread.sleep(20); // until its optical flow is under way
            }
        } // the client closes the connection mid-request
        while (admission.active(POOL) > 0) {
            Thread.sleep(20); // the watchdog finds it gone, the pool's tasks stop
        }
        // the place is given back as the error leaves the service, the abort counted after, by the web layer
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (counterOrZero("visionserve_client_aborts_total", "stage", "processing") < aborts + 1) {
            assertThat(System.nanoTime()).as("the abort counted").isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(metric("visionserve_client_aborts_total", "stage", "processing")).isEqualTo(aborts + 1);
        assertNothingOfItRunsAndTheNextClipIsServed(flow);
    }

    /** The next clip (12 frames: 11 pairs) is served, and no pair of the stopped clip ran meanwhile. */
    private void assertNothingOfItRunsAndTheNextClipIsServed(OpticalFlow flow) {
        long pairs = flow.pairsComputed();
        Http.Response ok = postVideo(TS_LSTM, "?flow=farneback", mp4(12, 3, 2));
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(flow.pairsComputed()).isEqualTo(pairs + 11);
        assertThat(admission.active(POOL)).isZero();
    }
}
