package org.visionserve.service.action;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TorchBicubicTest {

    @Test
    void shorterSideTo256AsTheReferenceScale() {
        assertArrayEquals(new int[] {341, 256}, TorchBicubic.scaledSize(320, 240, 256));
        assertArrayEquals(new int[] {256, 341}, TorchBicubic.scaledSize(240, 320, 256));
        assertArrayEquals(new int[] {455, 256}, TorchBicubic.scaledSize(1280, 720, 256));
        assertArrayEquals(new int[] {256, 256}, TorchBicubic.scaledSize(100, 100, 256));
        assertEquals(59, TorchBicubic.cropOffset(341, 224)); // ceil(58.5); timm's round gives 58
        assertEquals(16, TorchBicubic.cropOffset(256, 224));
    }

    @Test
    void catmullRomWithLinearExtrapolationAtTheEdges() {
        // By hand from image.c: scale = 3/6 = 0.5; d=1: s=0.5 on (p0 = 2*0-1 = -1, 0, 1, 0) -> 0.625;
        // d=2: s=1 -> 1; d=3: s=1.5 on (0, 1, 0, 0) -> 0.5625; d=4: s=2 -> 0; d=5: s=2.5 on
        // (1, 0, 0, p3 = 2*0-0 = 0) -> -0.0625; the last output copies the last input.
        float[] src = {0, 1, 0, 0};
        float[] expected = {0, 0.625f, 1, 0.5625f, 0, -0.0625f, 0};
        for (int d = 0; d < 7; d++) {
            assertEquals(expected[d], TorchBicubic.sample(src, 0, 1, 4, 7, d), 1e-7, "sample " + d);
        }
    }

    @Test
    void reproducesLinearRampsAndConstants() {
        int w = 320;
        int h = 240;
        float[] ramp = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                ramp[y * w + x] = 0.002f * x - 0.001f * y + 0.1f;
            }
        }
        float[] out = new float[224 * 224];
        TorchBicubic.scaleCrop(ramp, w, h, 341, 256, 59, 16, 224, 224, new float[h * 224], out, 0);
        float sx = (float) (w - 1) / (341 - 1);
        float sy = (float) (h - 1) / (256 - 1);
        for (int j = 0; j < 224; j += 17) {
            for (int i = 0; i < 224; i += 13) {
                float expected = 0.002f * (59 + i) * sx - 0.001f * (16 + j) * sy + 0.1f;
                assertEquals(expected, out[j * 224 + i], 2e-6, "(" + i + ", " + j + ")");
            }
        }
    }

    @Test
    void theCropWindowEqualsTheFullResizeCropped() {
        int w = 97;
        int h = 61;
        float[] src = new float[w * h];
        Random r = new Random(3);
        for (int p = 0; p < src.length; p++) {
            src[p] = r.nextFloat();
        }
        int dw = 150;
        int dh = 90;
        float[] full = new float[dw * dh];
        TorchBicubic.scaleCrop(src, w, h, dw, dh, 0, 0, dw, dh, new float[h * dw], full, 0);
        float[] crop = new float[40 * 30];
        TorchBicubic.scaleCrop(src, w, h, dw, dh, 20, 11, 40, 30, new float[h * 40], crop, 0);
        for (int j = 0; j < 30; j++) {
            for (int i = 0; i < 40; i++) {
                assertEquals(full[(11 + j) * dw + 20 + i], crop[j * 40 + i], 0f);
            }
        }
        assertEquals(src[w * h - 1], full[dw * dh - 1], 0f); // corners are copied
        assertEquals(src[0], full[0], 0f);
    }
}
