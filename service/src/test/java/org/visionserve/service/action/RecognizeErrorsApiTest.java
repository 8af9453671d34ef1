package org.visionserve.service.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.visionserve.service.Http;
import org.visionserve.service.Images;
import org.visionserve.service.TestModels;

/** Every error of the clip endpoint: problem+json with the right status, code and config key, counted. */
class RecognizeErrorsApiTest extends ActionTestBase {

    private static final String RECOGNIZE = "/v1/models/" + TS_LSTM + "/recognize";
    private static final String LIMITS = "visionserve.action.limits.";

    @Test
    void unknownModel404() {
        double before = counterOrZero("visionserve_requests_total", "model", "unknown", "outcome", "client_error");
        assertProblem(postVideo("c3d_sports1m", "", mp4(12, 3, 2)), 404, "unknown-model");
        assertThat(metric("visionserve_requests_total", "model", "unknown", "outcome", "client_error"))
                .isEqualTo(before + 1);
    }

    @Test
    void classifierOrFeatureModelGivenToRecognize409() {
        byte[] clip = mp4(12, 3, 2);
        Http.Response r = postVideo(TestModels.ATTO, "", clip);
        assertProblem(r, 409, "wrong-task");
        assertThat(r.json().get("detail").asString()).contains("classification");
        assertProblem(postVideo(RGB, "", clip), 409, "wrong-task");
    }

    @Test
    void nonVideo415() {
        double before = clientErrorsBefore();
        assertProblem(http.post(RECOGNIZE, "text/plain", "hello".getBytes()), 415, "unsupported-media-type");
        Http.Response png = http.post(RECOGNIZE, "video/mp4", Images.chelseaPng());
        assertProblem(png, 415, "unsupported-media-type");
        assertThat(png.json().get("detail").asString()).contains("expected an MP4, MOV, WebM or AVI");
        assertThat(clientErrors()).isEqualTo(before + 2);
    }

    @Test
    void aFrameThatIsNoImage415() throws IOException {
        List<Http.Part> parts = framesParts(12);
        parts.set(5, new Http.Part("frames", "f5.txt", "image/png", "not an image".getBytes()));
        Http.Response r = http.multipart(RECOGNIZE, parts);
        assertProblem(r, 415, "unsupported-media-type");
        assertThat(r.json().get("detail").asString()).contains("frame 5");
    }

    @Test
    void truncatedOrEmptyVideo422() {
        byte[] clip = mp4(40, 3, 2);
        Http.Response cut = postVideo(TS_LSTM, "", Arrays.copyOf(clip, clip.length / 2));
        assertProblem(cut, 422, "corrupt-clip");
        assertProblem(http.post(RECOGNIZE, "video/mp4", new byte[0]), 422, "corrupt-clip");
    }

    @Test
    void clipShorterThanOneFlowStack422() {
        Http.Response r = postVideo(TS_LSTM, "?flow=farneback", mp4(10, 3, 2));
        assertProblem(r, 422, "clip-too-short");
        assertThat(r.json().get("detail").asString()).contains("has 10 frames").contains("at least 11");
    }

    @Test
    void overEachClipLimit413NamesItsKey() {
        long decoded = service.pipeline().decoder().framesDecoded();
        // bytes: from Content-Length (raw body) and from the part's size (multipart), before any decoding
        assertTooLarge(http.post(RECOGNIZE, "video/mp4", new byte[(1 << 20) + 1]), LIMITS + "max-bytes", 1 << 20);
        assertTooLarge(postVideo(TS_LSTM, "", new byte[(1 << 20) + 1]), LIMITS + "max-bytes", 1 << 20);
        // frames: 61 at 25 fps (2.4 s, under the duration limit)
        assertTooLarge(postVideo(TS_LSTM, "", mp4(61, 1, 1)), LIMITS + "max-frames", 60);
        // duration: 40 frames at 10 fps
        assertTooLarge(postVideo(TS_LSTM, "", encode(TestClips.Kind.MP4_H264, W, H, 10, 40, 1, 1)),
                LIMITS + "max-duration", 3000);
        // frame size: 176x144 > 19200 pixels
        assertTooLarge(postVideo(TS_LSTM, "", encode(TestClips.Kind.MP4_H264, 176, 144, 25, 12, 1, 1)),
                LIMITS + "max-pixels", 19200);
        // all from the container's header, before any frame was decoded
        assertThat(service.pipeline().decoder().framesDecoded()).isEqualTo(decoded);
    }

    @Test
    void moreFramesThanTheContainerTakes413() throws IOException {
        Http.Part tiny = new Http.Part("frames", "g.png", "image/png", Images.gradientPng(8, 8));
        Http.Response r = http.multipart(RECOGNIZE, Collections.nCopies(41, tiny));
        assertProblem(r, 413, "too-many-frames");
        assertThat(r.json().get("configKey").asString()).isEqualTo("server.tomcat.max-part-count");
    }

    @Test
    void badParametersOrParts400() throws IOException {
        byte[] clip = mp4(12, 3, 2);
        Http.Response flow = postVideo(TS_LSTM, "?flow=lucas-kanade", clip);
        assertProblem(flow, 400, "invalid-parameter");
        assertThat(flow.json().get("parameter").asString()).isEqualTo("flow");
        assertProblem(postVideo(TS_LSTM, "?top_k=0", clip), 400, "invalid-parameter");
        assertProblem(http.multipart(RECOGNIZE, List.of(new Http.Part("video", "c.mp4", "video/mp4", clip))), 400,
                "invalid-parameter");
        List<Http.Part> both = framesParts(11);
        both.add(new Http.Part("file", "c.mp4", "video/mp4", clip));
        assertProblem(http.multipart(RECOGNIZE, both), 400, "invalid-parameter");
    }

    private double clientErrorsBefore() {
        return counterOrZero("visionserve_requests_total", "model", TS_LSTM, "outcome", "client_error");
    }

    private double clientErrors() {
        return metric("visionserve_requests_total", "model", TS_LSTM, "outcome", "client_error");
    }

    private static List<Http.Part> framesParts(int n) throws IOException {
        List<Http.Part> parts = new java.util.ArrayList<>();
        for (byte[] f : TestClips.frames(W, H, n, 3, 2)) {
            parts.add(new Http.Part("frames", "f.png", "image/png", ClipDecoderTest.png(f)));
        }
        return parts;
    }
}
