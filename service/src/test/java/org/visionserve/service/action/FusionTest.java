package org.visionserve.service.action;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class FusionTest {

    @Test
    void baselineIsTheMeanOfBothStreamsRawLogitsOverFrames() {
        // 2 frames, 3 classes
        float[] rgb = {1, 2, 3, 3, 2, 1};
        float[] flow = {0, 0, 6, 2, 0, 0};
        // frame means (0.5, 1, 4.5) and (2.5, 1, 0.5); over frames (1.5, 1, 2.5)
        assertArrayEquals(new float[] {1.5f, 1f, 2.5f}, Fusion.baselineScores(rgb, flow, 3), 1e-6f);
        assertArrayEquals(new float[] {2f, 2f, 2f}, Fusion.meanScores(rgb, 3), 1e-6f);
        assertArrayEquals(new float[] {0.4f, 0.4f, 0.2f}, Fusion.softmax(new float[] {0, 0, (float) -Math.log(2)}),
                1e-7f);
        assertArrayEquals(new float[] {0.5f, 0.5f}, Fusion.softmax(new float[] {1000, 1000}), 0f); // no overflow
    }

    @Test
    void headFeaturesInterleaveRgbThenFlowPerStep() {
        int frames = 25;
        float[] rgb = new float[frames * 2048];
        float[] flow = new float[frames * 2048];
        for (int t = 0; t < frames; t++) {
            for (int k = 0; k < 2048; k++) {
                rgb[t * 2048 + k] = t * 10_000 + k;
                flow[t * 2048 + k] = -(t * 10_000 + k);
            }
        }
        FloatBuffer f = Fusion.headFeatures(rgb, flow);
        assertEquals(25 * 4096, f.remaining());
        assertEquals(0, f.position());
        assertEquals(3 * 10_000 + 7, f.get(3 * 4096 + 7), 0f);
        assertEquals(-(3 * 10_000 + 7), f.get(3 * 4096 + 2048 + 7), 0f);
        assertEquals(-(24 * 10_000 + 2047), f.get(25 * 4096 - 1), 0f);
    }
}
