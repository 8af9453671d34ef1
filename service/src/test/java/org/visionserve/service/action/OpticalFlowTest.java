package org.visionserve.service.action;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class OpticalFlowTest {

    static final int W = 160;
    static final int H = 120;
    static final ExecutorService POOL = Executors.newFixedThreadPool(2);

    @AfterAll
    static void stop() {
        POOL.shutdownNow();
    }

    /** Mean (x, y) flow over the square's interior in frame t (8 px margin) and over the far background. */
    static double[] means(float[] xy, int t, int dx, int dy) {
        int sx = 40 + dx * t;
        int sy = 40 + dy * t;
        double[] m = new double[4];
        int in = 0;
        int out = 0;
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int i = 2 * (y * W + x);
                if (x >= sx + 8 && x < sx + TestClips.SQUARE - 8 && y >= sy + 8 && y < sy + TestClips.SQUARE - 8) {
                    m[0] += xy[i];
                    m[1] += xy[i + 1];
                    in++;
                } else if (x < sx - 12 || x >= sx + TestClips.SQUARE + 12 + dx || y < sy - 12
                        || y >= sy + TestClips.SQUARE + 12 + dy) {
                    m[2] += xy[i];
                    m[3] += xy[i + 1];
                    out++;
                }
            }
        }
        return new double[] {m[0] / in, m[1] / in, m[2] / out, m[3] / out};
    }

    static float[] flow(DecodedClip clip, int pair, FlowMethod method) {
        byte[] a = OpticalFlow.grey(clip.frames().get(pair), clip.width(), clip.height());
        byte[] b = OpticalFlow.grey(clip.frames().get(pair + 1), clip.width(), clip.height());
        return OpticalFlow.rawFlow(a, b, clip.width(), clip.height(), method);
    }

    @Test
    void tvl1FollowsAKnownTranslationInADecodedClip() throws IOException {
        // the square moves 3 px right and 2 px down per frame; the background stands still
        byte[] video = TestClips.encode(TestClips.Kind.MP4_H264, W, H, 25, TestClips.frames(W, H, 12, 3, 2));
        DecodedClip clip = new ClipDecoder(ClipLimits.DEFAULT).decode(video);
        double[] m = means(flow(clip, 5, FlowMethod.TVL1), 5, 3, 2);
        assertEquals(3.0, m[0], 0.4, "x flow inside the square");
        assertEquals(2.0, m[1], 0.4, "y flow inside the square (image y points down)");
        assertEquals(0.0, m[2], 0.15, "x flow of the background");
        assertEquals(0.0, m[3], 0.15, "y flow of the background");
    }

    @Test
    void tvl1OnExactFramesAndTheOppositeDirection() {
        DecodedClip clip = new DecodedClip(W, H, TestClips.frames(W, H, 3, -2, 3), 0, "test");
        double[] m = means(flow(clip, 1, FlowMethod.TVL1), 1, -2, 3);
        assertEquals(-2.0, m[0], 0.25);
        assertEquals(3.0, m[1], 0.25);
    }

    @Test
    void farnebackAgreesRoughlyWithTvl1() throws IOException {
        byte[] video = TestClips.encode(TestClips.Kind.MP4_H264, W, H, 25, TestClips.frames(W, H, 12, 3, 2));
        DecodedClip clip = new ClipDecoder(ClipLimits.DEFAULT).decode(video);
        double[] tv = means(flow(clip, 5, FlowMethod.TVL1), 5, 3, 2);
        double[] fb = means(flow(clip, 5, FlowMethod.FARNEBACK), 5, 3, 2);
        for (int k = 0; k < 4; k++) {
            assertEquals(tv[k], fb[k], 0.6, "component " + k + ": TV-L1 " + tv[k] + ", Farneback " + fb[k]);
        }
    }

    @Test
    void stretchClipsAndMapsEachComponentOntoTheByteRange() {
        // x: -30 (clipped to -20), -5, 0, 10: min -20, max 10
        // y: -4, -1, -3, -2: all negative, so max is the reference's starting value 0
        float[] xy = {-30, -4, -5, -1, 0, -3, 10, -2};
        byte[] x = OpticalFlow.stretch(xy, 0, 4);
        byte[] y = OpticalFlow.stretch(xy, 1, 4);
        assertArrayEquals(new int[] {0, 127, 170, 255}, unsigned(x)); // 255 * 15 / 30 = 127.5 truncated
        assertArrayEquals(new int[] {0, 191, 63, 127}, unsigned(y)); // 255 * 3 / 4 = 191.25
        // a still pair (all zero): the reference divides 0 by 0; we store 0
        assertArrayEquals(new int[] {0, 0}, unsigned(OpticalFlow.stretch(new float[4], 0, 2)));
    }

    @Test
    void storedFieldsMarkTheMovingSquareHigh() {
        DecodedClip clip = new DecodedClip(W, H, TestClips.frames(W, H, 4, 3, 2), 0, "test");
        Map<Integer, FlowField> fields = new OpticalFlow(POOL).compute(clip, new int[] {0, 1, 2}, FlowMethod.TVL1);
        assertEquals(3, fields.size());
        FlowField f = fields.get(1);
        int inside = (40 + 3 + 32) + W * (40 + 2 + 32); // centre of the square in frame 1
        int corner = 5 + W * 5;
        assertTrue((f.x()[inside] & 0xff) > 200 && (f.y()[inside] & 0xff) > 200, "moving right and down");
        assertTrue((f.x()[corner] & 0xff) < 60 && (f.y()[corner] & 0xff) < 60, "still background near the minimum");
        // each field equals a lone computation of its pair
        FlowField alone = OpticalFlow.field(OpticalFlow.grey(clip.frames().get(2), W, H),
                OpticalFlow.grey(clip.frames().get(3), W, H), W, H, FlowMethod.TVL1);
        assertArrayEquals(alone.x(), fields.get(2).x());
        assertArrayEquals(alone.y(), fields.get(2).y());
    }

    private static int[] unsigned(byte[] b) {
        int[] u = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            u[i] = b[i] & 0xff;
        }
        return u;
    }
}
