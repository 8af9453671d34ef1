package org.visionserve.service.action;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ClipTensorsTest {

    static final ExecutorService POOL = Executors.newFixedThreadPool(2);
    static final StreamNormalization NORM = StreamNormalization.UCF101;

    @AfterAll
    static void stop() {
        POOL.shutdownNow();
    }

    @Test
    void rgbPointsTakeTheirSampledFramesInRgbOrder() {
        // frame t is flat (R, G, B) = (t, 2t, 255 - t): a constant survives the bicubic resize up to float
        // rounding of the cubic's coefficients (2c - 5c + 4c - c)
        int w = 320;
        int h = 240;
        List<byte[]> frames = new ArrayList<>();
        for (int t = 0; t < 60; t++) {
            byte[] f = new byte[w * h * 3];
            for (int p = 0; p < w * h; p++) {
                f[3 * p] = (byte) t;
                f[3 * p + 1] = (byte) (2 * t);
                f[3 * p + 2] = (byte) (255 - t);
            }
            frames.add(f);
        }
        DecodedClip clip = new DecodedClip(w, h, frames, 25, "test");
        FrameSampling s = FrameSampling.of(60);
        FloatBuffer rgb = ClipTensors.rgb(clip, s, NORM, POOL);
        assertEquals(25 * 3 * 224 * 224, rgb.capacity());
        for (int i = 0; i < 25; i++) {
            int t = s.rgbFrames()[i];
            int[] v = {t, 2 * t, 255 - t};
            for (int c = 0; c < 3; c++) {
                float expected = (v[c] / 255f - NORM.rgbMean()[c]) / NORM.rgbStd()[c];
                int base = (i * 3 + c) * ClipTensors.PLANE;
                assertEquals(expected, rgb.get(base), 1e-6f, "point " + i + " channel " + c);
                assertEquals(expected, rgb.get(base + ClipTensors.PLANE - 1), 1e-6f);
            }
        }
    }

    @Test
    void rgbPlaneIsTheCentreOfTheResizedFrame() {
        int w = 320;
        int h = 240;
        byte[] frame = TestClips.frame(w, h, 0, 0, 0);
        List<byte[]> frames = new ArrayList<>(java.util.Collections.nCopies(11, frame));
        FloatBuffer rgb = ClipTensors.rgb(new DecodedClip(w, h, frames, 25, "test"), FrameSampling.of(11), NORM, POOL);
        // independent route: the whole 341x256 resize, then the window at (59, 16)
        float[] green = new float[w * h];
        for (int p = 0; p < w * h; p++) {
            green[p] = (frame[3 * p + 1] & 0xff) / 255f;
        }
        float[] full = new float[341 * 256];
        TorchBicubic.scaleCrop(green, w, h, 341, 256, 0, 0, 341, 256, new float[h * 341], full, 0);
        for (int j = 0; j < 224; j += 7) {
            for (int i = 0; i < 224; i += 5) {
                float expected = (full[(16 + j) * 341 + 59 + i] - NORM.rgbMean()[1]) / NORM.rgbStd()[1];
                assertEquals(expected, rgb.get(ClipTensors.PLANE + j * 224 + i), 0f, "(" + i + ", " + j + ")");
            }
        }
    }

    @Test
    void flowStacksAreTenFieldsInTimeOrderYThenX() {
        int w = 320;
        int h = 240;
        // pair p: y plane flat 2p, x plane flat 2p + 1 (flat up to float rounding, as above)
        Map<Integer, FlowField> fields = new HashMap<>();
        for (int p = 0; p < 59; p++) {
            byte[] y = new byte[w * h];
            byte[] x = new byte[w * h];
            Arrays.fill(y, (byte) (2 * p));
            Arrays.fill(x, (byte) (2 * p + 1));
            fields.put(p, new FlowField(w, h, x, y));
        }
        FrameSampling s = FrameSampling.of(60);
        FloatBuffer flow = ClipTensors.flow(fields, s, NORM, POOL);
        assertEquals(25 * 20 * 224 * 224, flow.capacity());
        for (int i = 0; i < 25; i++) {
            for (int ch = 0; ch < 20; ch++) {
                int pair = s.flowStarts()[i] + ch / 2;
                int stored = ch % 2 == 0 ? 2 * pair : 2 * pair + 1;
                float expected = (stored / 255f - NORM.flowMean()[ch]) / NORM.flowStd()[ch];
                int base = (i * 20 + ch) * ClipTensors.PLANE;
                assertEquals(expected, flow.get(base + 1234), 1e-5f, "point " + i + " channel " + ch);
            }
        }
        // y channels use the y statistics
        assertEquals(0.49308556329956f, NORM.flowMean()[0], 0f);
        assertEquals(0.42114283484146f, NORM.flowMean()[1], 0f);
    }
}
