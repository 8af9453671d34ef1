package org.visionserve.service.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.visionserve.service.Http;
import org.visionserve.service.HostilePngs;

/**
 * Hostile inputs of the clip endpoint over real HTTP (limits of {@link ActionTestBase}: 160 x 120 =
 * 19,200 pixels per frame at most 1:10, 60 frames, 1 MB): frames are measured from their headers before any is
 * decoded, damaged clips are described without Java object names, a repeated {@code file} part is
 * refused. After every test the endpoint still recognises a good clip.
 */
class HostileClipInputApiTest extends ActionTestBase {

    private static final String RECOGNIZE = "/v1/models/" + TS_LSTM + "/recognize";

    @AfterEach
    void stillServing() {
        Http.Response ok = postVideo(TS_LSTM, "?flow=farneback", mp4(12, 3, 2));
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    }

    @Test
    void aHugeFrameAnywhereIsRefusedFromItsHeaderBeforeAnyFrameIsDecoded() throws IOException {
        // frame 0 would fail to decode (a header with no data): the 413 for frame 7 proves nothing was decoded
        for (int[] wh : new int[][] {{25_000, 25_000}, {161, 120}, {480, 41}}) {
            List<Http.Part> parts = frames(12);
            parts.set(0, frame(HostilePngs.headerOnly(W, H)));
            parts.set(7, frame(HostilePngs.headerOnly(wh[0], wh[1])));
            Http.Response r = http.multipart(RECOGNIZE + "?flow=farneback", parts);
            assertTooLarge(r, "visionserve.action.limits.max-pixels", W * H);
            assertThat(r.json().get("detail").asString()).contains(wh[0] + "x" + wh[1]);
        }
    }

    @Test
    void framesAtTheAspectRatioLimitAreServed() {
        // 430 x 43 and 43 x 430 are 1:10 (max-aspect-ratio) within max-pixels; beyond it they are refused
        // from their headers (RecognizeLifecycleApiTest)
        for (int[] wh : new int[][] {{430, 43}, {43, 430}}) {
            List<Http.Part> parts = new ArrayList<>();
            for (int i = 0; i < 11; i++) {
                parts.add(frame(HostilePngs.flatGrey(wh[0], wh[1], 10 * i)));
            }
            Http.Response r = http.multipart(RECOGNIZE + "?flow=farneback", parts);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
    }

    @Test
    void damagedClipsAreDescribedWithoutJavaObjectNames() {
        byte[] clip = mp4(40, 3, 2);
        for (byte[] broken : List.of(Arrays.copyOf(clip, clip.length / 2), Arrays.copyOf(clip, 64))) {
            Http.Response r = postVideo(TS_LSTM, "", broken);
            assertProblem(r, 422, "corrupt-clip");
            assertThat(r.json().get("detail").asString()).doesNotContainPattern("java\\.|@[0-9a-f]{4,}|Exception");
        }
    }

    @Test
    void aRepeatedFilePartIsRefused() {
        byte[] clip = mp4(12, 3, 2);
        Http.Response r = http.multipart(RECOGNIZE, List.of(new Http.Part("file", "a.mp4", "video/mp4", clip),
                new Http.Part("file", "b.mp4", "video/mp4", clip)));
        assertProblem(r, 400, "duplicate-part");
        assertThat(r.json().get("part").asString()).isEqualTo("file");
    }

    private static List<Http.Part> frames(int n) throws IOException {
        List<Http.Part> parts = new ArrayList<>();
        for (byte[] f : TestClips.frames(W, H, n, 3, 2)) {
            parts.add(frame(ClipDecoderTest.png(f)));
        }
        return parts;
    }

    private static Http.Part frame(byte[] png) {
        return new Http.Part("frames", "f.png", "image/png", png);
    }
}
