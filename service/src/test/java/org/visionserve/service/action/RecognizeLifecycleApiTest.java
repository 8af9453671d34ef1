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
import org.junit.jupiter.api.Test;
import org.visionserve.service.HostilePngs;
import org.visionserve.service.Http;
import org.visionserve.service.runtime.Admission;
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
