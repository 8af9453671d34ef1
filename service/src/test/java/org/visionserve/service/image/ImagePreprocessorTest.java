package org.visionserve.service.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;
import org.visionserve.export.models.Preprocessing;

class ImagePreprocessorTest {

    @Test
    void shorterSideRuleOfTorchvisionResize() {
        assertArrayEquals(new int[] {384, 256}, ImagePreprocessor.resizedSize(451, 300, 256));
        assertArrayEquals(new int[] {256, 384}, ImagePreprocessor.resizedSize(300, 451, 256)); // portrait
        assertArrayEquals(new int[] {512, 341}, ImagePreprocessor.resizedSize(451, 300, 341));
        assertArrayEquals(new int[] {248, 248}, ImagePreprocessor.resizedSize(500, 500, 248));
        // int(333 * 1000 / 999) = int(333.333...) = 333: truncation, not rounding.
        assertArrayEquals(new int[] {333, 333}, ImagePreprocessor.resizedSize(1000, 999, 333));
        assertArrayEquals(new int[] {1999, 1}, ImagePreprocessor.resizedSize(3998, 2, 1));
    }

    @Test
    void centreCropRoundsHalfToEven() {
        RgbImage img = coordinates(10, 7);
        // left = round(3.0) = 3, top = round(1.5) = 2 (half to even)
        RgbImage crop = ImagePreprocessor.centerCrop(img, 4);
        assertEquals(3, crop.sample(0, 0, 0));
        assertEquals(2, crop.sample(0, 0, 1));
        img = coordinates(9, 12);
        // left = round(2.5) = 2, top = round(4.5) = 4
        crop = ImagePreprocessor.centerCrop(img, 4);
        assertEquals(2, crop.sample(0, 0, 0));
        assertEquals(4, crop.sample(0, 0, 1));
    }

    @Test
    void centreCropPadsAShortSideWithZerosAsTorchvision() {
        // width 2 < 5: torchvision pads (5 - 2) // 2 = 1 column before, 2 after; height 9: top = round(2.0) = 2.
        RgbImage crop = ImagePreprocessor.centerCrop(coordinates(2, 9), 5);
        for (int y = 0; y < 5; y++) {
            assertEquals(0, crop.sample(0, y, 2));
            assertEquals(101, crop.sample(1, y, 2));
            assertEquals(0, crop.sample(1, y, 0));
            assertEquals(y + 2, crop.sample(2, y, 1));
            assertEquals(1, crop.sample(2, y, 0));
            assertEquals(0, crop.sample(3, y, 2));
            assertEquals(0, crop.sample(4, y, 2));
        }
    }

    @Test
    void resizeAndCropIsTheCropOfTheFullResizeInEveryShape() {
        // crop 8 of a 9 shorter side, and crop 8 of a 6 shorter side (torchvision pads then)
        for (Preprocessing p : new Preprocessing[] {timm(8, 0.875), timm(8, 1.25)}) {
            for (int[] wh : new int[][] {{451, 300}, {7, 5}, {600, 1}, {1, 600}, {3, 900}, {900, 2}}) {
                RgbImage image = noise(wh[0], wh[1]);
                int[] size = ImagePreprocessor.resizedSize(wh[0], wh[1], p.resizeShorterSide());
                RgbImage expected = ImagePreprocessor.centerCrop(PillowResize.resize(image, size[0], size[1]), 8);
                assertArrayEquals(expected.pixels(), ImagePreprocessor.resizeAndCrop(image, p).pixels(),
                        wh[0] + "x" + wh[1] + " shorter side " + p.resizeShorterSide());
            }
        }
    }

    @Test
    void nothingIsSizedByTheResizedLongSide() {
        // 40,000,000 x 1 resized to a shorter side of 9 is 360,000,000 x 9: resampling all of it (or just
        // its taps) would need gigabytes; the crop window alone needs a few kilobytes.
        Preprocessing p = timm(8, 0.875);
        for (int[] wh : new int[][] {{40_000_000, 1}, {1, 40_000_000}}) {
            byte[] px = new byte[wh[0] * wh[1] * 3];
            java.util.Arrays.fill(px, (byte) 77);
            RgbImage crop = ImagePreprocessor.resizeAndCrop(new RgbImage(wh[0], wh[1], px), p);
            assertEquals(8, crop.width());
            assertEquals(8, crop.height());
            for (byte b : crop.pixels()) {
                assertEquals(77, b & 0xff); // a flat image stays flat
            }
        }
    }

    private static Preprocessing timm(int size, double cropPct) {
        return Preprocessing.timm(size, cropPct, new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.5f, 0.5f, 0.5f}, false);
    }

    private static RgbImage noise(int w, int h) {
        byte[] px = new byte[w * h * 3];
        java.util.SplittableRandom r = new java.util.SplittableRandom(w * 31L + h);
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) r.nextInt(256);
        }
        return new RgbImage(w, h, px);
    }

    @Test
    void tensorIsChwAndFillsABatchBufferInTurn() {
        Preprocessing p = Preprocessing.timm(2, 1.0, new float[] {0.5f, 0.25f, 0f}, new float[] {0.5f, 0.5f, 1f}, false);
        RgbImage a = new RgbImage(2, 2, bytes(0, 255, 51, 255, 0, 102, 0, 0, 0, 255, 255, 255));
        RgbImage b = new RgbImage(2, 2, new byte[12]);
        FloatBuffer batch = FloatBuffer.allocate(2 * 12);
        ImagePreprocessor.toTensor(a, p, batch);
        assertEquals(12, batch.position());
        ImagePreprocessor.toTensor(b, p, batch);
        assertEquals(24, batch.position());
        float[] all = batch.array();
        // Channel R of a: pixels (0,0)=0, (1,0)=255, (0,1)=0, (1,1)=255 -> (v/255 - 0.5) / 0.5
        assertArrayEquals(new float[] {-1f, 1f, -1f, 1f}, java.util.Arrays.copyOfRange(all, 0, 4));
        // Channel G: 255, 0, 0, 255 -> (v/255 - 0.25) / 0.5
        assertArrayEquals(new float[] {1.5f, -0.5f, -0.5f, 1.5f}, java.util.Arrays.copyOfRange(all, 4, 8));
        // Channel B: 51, 102, 0, 255 -> v/255 (float32 division)
        assertArrayEquals(new float[] {51 / 255f, 102 / 255f, 0f, 1f}, java.util.Arrays.copyOfRange(all, 8, 12));
        assertArrayEquals(new float[] {-1f, -1f, -1f, -1f}, java.util.Arrays.copyOfRange(all, 12, 16));
    }

    /** Pixel (x, y) holds (x, y, 101). */
    private static RgbImage coordinates(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                px[(y * w + x) * 3] = (byte) x;
                px[(y * w + x) * 3 + 1] = (byte) y;
                px[(y * w + x) * 3 + 2] = (byte) 101;
            }
        }
        return new RgbImage(w, h, px);
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }
}
