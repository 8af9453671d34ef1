package org.visionserve.service.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.visionserve.service.Http;
import org.visionserve.service.runtime.RequestCancelledException;
import org.visionserve.service.runtime.RequestScope;
import tools.jackson.databind.JsonNode;

/**
 * {@code segment_seconds} over real HTTP with the real (seeded) networks: a 30 s generated video (5 fps,
 * 96x72, so Farneback flow is cheap) split into 10 s windows, each window's answer compared with
 * recognising its frames alone, the whole-video answer with the call without a timeline, the flow
 * pairs computed once for all samplings, and the timeline's limits. Its own context: the clip limits
 * must admit 30 s, and the timeline's are small enough to pass.
 */
class TimelineApiTest extends ActionTestBase {

    private static final int TW = 96;
    private static final int TH = 72;
    private static final double FPS = 5;
    /** 30 s at 5 fps. */
    private static final int FRAMES = 150;

    private static byte[] video;

    @DynamicPropertySource
    static void timelineLimits(DynamicPropertyRegistry registry) {
        registry.add("visionserve.action.limits.max-duration", () -> "40s");
        registry.add("visionserve.action.limits.max-frames", () -> "200");
        registry.add("visionserve.action.timeline.max-duration", () -> "30s");
        registry.add("visionserve.action.timeline.max-windows", () -> "3");
        registry.add("visionserve.action.timeline.min-segment-seconds", () -> "2");
        registry.add("visionserve.deadlines.recognize", () -> "300s");
        registry.add("server.tomcat.max-part-count", () -> "100");
    }

    /** The square moving (2, 1) px a frame, starting over every 30 frames: every window has motion. */
    private static List<byte[]> sourceFrames(int count) {
        List<byte[]> frames = new ArrayList<>();
        for (int t = 0; t < count; t++) {
            frames.add(TestClips.frame(TW, TH, t % 30 - 15, 2, 1));
        }
        return frames;
    }

    private static synchronized byte[] video() {
        if (video == null) {
            video = encode(FRAMES);
        }
        return video;
    }

    private static byte[] encode(int frames) {
        try {
            return TestClips.encode(TestClips.Kind.MP4_H264, TW, TH, FPS, sourceFrames(frames));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** As an operation (Prefer: respond-async) the timeline's progress ends on its windows, never going back. */
    @Test
    void asAnOperationItsProgressCountsTheWindows() throws Exception {
        org.visionserve.service.OperationsClient ops = new org.visionserve.service.OperationsClient(port);
        String id = org.visionserve.service.OperationsClient.accepted(ops.submit(
                "/v1/models/" + TS_LSTM + "/recognize?flow=farneback&segment_seconds=10",
                List.of(new Http.Part("file", "clip.mp4", "video/mp4", video()))));
        List<JsonNode> seen = new ArrayList<>();
        JsonNode done = ops.await(id, op -> op.get("finishedAt") != null, Duration.ofSeconds(280), seen);
        assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
        assertThat(done.get("result").get("segments")).hasSize(3);
        JsonNode last = done.get("progress");
        assertThat(last.get("stage").asString()).isEqualTo("windows");
        assertThat(last.get("completed").asLong()).isEqualTo(last.get("total").asLong()).isEqualTo(3);
        assertThat(last.get("fraction").asDouble()).isEqualTo(1.0);
        boolean windows = false;
        for (JsonNode op : seen) {
            String stage = op.get("progress").get("stage").asString();
            windows |= stage.equals("windows");
            if (windows) {
                assertThat(stage).as("after the windows began: %s", seen).isEqualTo("windows");
            }
        }
    }

    @Test
    void thirtySecondsInTenSecondWindows() throws IOException {
        OpticalFlow flow = service.pipeline().flow();
        long pairsBefore = flow.pairsComputed();
        Http.Response timed = postVideo(TS_LSTM, "?flow=farneback&top_k=101&segment_seconds=10", video());
        long pairsComputed = flow.pairsComputed() - pairsBefore;
        assertThat(timed.status()).as(timed.body()).isEqualTo(200);
        JsonNode r = timed.json();
        assertThat(r.get("clip").get("frames").asInt()).isEqualTo(FRAMES);
        assertThat(r.get("clip").get("fps").asDouble()).isEqualTo(FPS);

        // Three windows covering the video without gap or overlap, each 10 s, 50 frames.
        JsonNode segments = r.get("segments");
        assertThat(segments.size()).isEqualTo(3);
        for (int w = 0; w < 3; w++) {
            JsonNode s = segments.get(w);
            assertThat(s.get("startSeconds").asDouble()).isEqualTo(10.0 * w);
            assertThat(s.get("endSeconds").asDouble()).isEqualTo(10.0 * (w + 1));
            assertThat(s.get("startFrame").asInt()).isEqualTo(50 * w);
            assertThat(s.get("endFrame").asInt()).isEqualTo(50 * (w + 1));
            int[] indices = ints(s.get("frameIndices"));
            assertThat(indices).hasSize(FrameSampling.POINTS);
            for (int i : indices) {
                assertThat(i).as("window %d frame", w).isBetween(50 * w, 50 * (w + 1) - 1);
            }
            for (int stack : ints(s.get("flowStacks"))) {
                assertThat(stack).as("window %d stack", w).isBetween(50 * w, 50 * (w + 1) - 1 - FrameSampling.STACK);
            }
            assertThat(s.get("predictions").size()).isEqualTo(101);
        }

        // Each window's answer is its frames' answer alone: the decoded frames of the window, sent as
        // lossless PNGs, sampled from 0 (so its indices are the segment's less the window's start).
        List<byte[]> decoded = new ClipDecoder(service.pipeline().decoder().limits()).decode(video()).frames();
        int alonePairs = 0;
        for (int w = 0; w < 3; w++) {
            List<Http.Part> parts = new ArrayList<>();
            for (byte[] f : decoded.subList(50 * w, 50 * (w + 1))) {
                parts.add(new Http.Part("frames", "f.png", "image/png", ClipDecoderTest.png(f)));
            }
            Http.Response alone = http.multipart("/v1/models/" + TS_LSTM + "/recognize?flow=farneback&top_k=101", parts);
            assertThat(alone.status()).as(alone.body()).isEqualTo(200);
            JsonNode a = alone.json();
            JsonNode s = segments.get(w);
            int start = 50 * w;
            assertThat(ints(s.get("frameIndices"))).containsExactly(IntStream.of(ints(a.get("frameIndices")))
                    .map(i -> i + start).toArray());
            assertThat(ints(s.get("flowStacks"))).containsExactly(IntStream.of(ints(a.get("flowStacks")))
                    .map(i -> i + start).toArray());
            assertThat(s.get("flowPairs").asInt()).isEqualTo(a.get("flowPairs").asInt());
            assertSamePredictions(s.get("predictions"), a.get("predictions"));
            alonePairs += a.get("flowPairs").asInt();
        }

        // The whole-video answer is the one without a timeline.
        Http.Response plain = postVideo(TS_LSTM, "?flow=farneback&top_k=101", video());
        assertThat(plain.status()).as(plain.body()).isEqualTo(200);
        JsonNode p = plain.json();
        assertThat(p.has("segments")).isFalse();
        for (String field : List.of("clip", "flow", "flowPairs", "frameIndices", "flowStacks")) {
            assertThat(r.get(field)).as(field).isEqualTo(p.get(field));
        }
        assertSamePredictions(r.get("predictions"), p.get("predictions"));
        assertSamePredictions(r.get("baseline"), p.get("baseline"));
        assertSamePredictions(r.get("streams").get("rgb"), p.get("streams").get("rgb"));
        assertSamePredictions(r.get("streams").get("flow"), p.get("streams").get("flow"));

        // Flow pairs shared: every pair any of the four samplings uses, once.
        TreeSet<Integer> union = new TreeSet<>();
        IntStream.of(FrameSampling.of(FRAMES).pairs()).forEach(union::add);
        for (int w = 0; w < 3; w++) {
            IntStream.of(FrameSampling.of(50).shifted(50 * w).pairs()).forEach(union::add);
        }
        int wholePairs = p.get("flowPairs").asInt();
        System.out.printf("timeline flow pairs: %d computed; whole %d + windows %d = %d if computed apart%n",
                pairsComputed, wholePairs, alonePairs, wholePairs + alonePairs);
        assertThat(pairsComputed).isEqualTo(union.size());
        assertThat(pairsComputed).isLessThan(wholePairs + alonePairs);
        assertThat(pairsComputed - wholePairs).as("pairs the windows added").isLessThan(alonePairs);

        // The reservation counts one window's flow fields on top of the whole clip's.
        ClipShape shape = service.pipeline().decoder().measure(video());
        assertThat(service.pipeline().workingBytes(shape, 10) - service.pipeline().workingBytes(shape))
                .isEqualTo((long) Math.min(shape.frames() - 1, 50 + FrameSampling.MIN_FRAMES - 1) * TW * TH * 2);
    }

    /** Progress counts windows; a scope ended between windows stops the timeline there. */
    @Test
    void windowsReportProgressAndStopWithTheScope() {
        List<String> events = new CopyOnWriteArrayList<>();
        try (RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(5))) {
            scope.onProgress((stage, done, total) -> {
                if (stage.equals("windows")) {
                    events.add(done + "/" + total);
                    if (done == 2) {
                        scope.cancel(RequestScope.Reason.CLIENT_GONE);
                    }
                }
            });
            assertThatThrownBy(() -> service.recognizeVideo(TS_LSTM, video(), FlowMethod.FARNEBACK, 5, "10", scope))
                    .isInstanceOf(RequestCancelledException.class);
        }
        assertThat(events).containsExactly("0/3", "1/3", "2/3");
    }

    @Test
    void timelineLimits() {
        long decodedBefore = service.pipeline().decoder().framesDecoded();
        // windows over the limit (3): refused from the container's header, nothing decoded
        Http.Response many = postVideo(TS_LSTM, "?flow=farneback&segment_seconds=5", video());
        assertTooLarge(many, "visionserve.action.timeline.max-windows", 3);
        assertThat(many.json().get("detail").asString()).contains("6 windows");
        // a video longer than a timeline is made of (within the clip limits: 32 s < 40 s)
        Http.Response longer = postVideo(TS_LSTM, "?flow=farneback&segment_seconds=10", encode(160));
        assertTooLarge(longer, "visionserve.action.timeline.max-duration", 30_000);
        assertThat(service.pipeline().decoder().framesDecoded()).as("frames decoded").isEqualTo(decodedBefore);

        // shorter than the minimum, not a number: 400 naming the parameter (and the minimum's key)
        Http.Response tooShort = postVideo(TS_LSTM, "?segment_seconds=1.5", video());
        assertProblem(tooShort, 400, "invalid-parameter");
        assertThat(tooShort.json().get("parameter").asString()).isEqualTo("segment_seconds");
        assertThat(tooShort.json().get("detail").asString()).contains("visionserve.action.timeline.min-segment-seconds");
        for (String bad : List.of("ten", "NaN", "-10", "Infinity")) {
            Http.Response r = postVideo(TS_LSTM, "?segment_seconds=" + bad, video());
            assertProblem(r, 400, "invalid-parameter");
            assertThat(r.json().get("parameter").asString()).as(bad).isEqualTo("segment_seconds");
        }
        // frame images have no frame rate
        List<Http.Part> parts = new ArrayList<>();
        for (byte[] f : sourceFrames(12)) {
            try {
                parts.add(new Http.Part("frames", "f.png", "image/png", ClipDecoderTest.png(f)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Http.Response frames = http.multipart("/v1/models/" + TS_LSTM + "/recognize?segment_seconds=10", parts);
        assertProblem(frames, 400, "invalid-parameter");
        assertThat(frames.json().get("parameter").asString()).isEqualTo("segment_seconds");
        assertThat(service.pipeline().decoder().framesDecoded()).as("frames decoded").isEqualTo(decodedBefore);
    }

    /** Same classes in the same order, probabilities within float noise (bit-equal is expected: same inputs). */
    private static void assertSamePredictions(JsonNode actual, JsonNode expected) {
        assertThat(actual.size()).isEqualTo(expected.size());
        for (int i = 0; i < actual.size(); i++) {
            assertThat(actual.get(i).get("index").asInt()).as("class at %d", i)
                    .isEqualTo(expected.get(i).get("index").asInt());
            assertThat(actual.get(i).get("probability").asDouble()).as("probability at %d", i)
                    .isCloseTo(expected.get(i).get("probability").asDouble(), within(1e-6));
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
