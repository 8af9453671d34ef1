package org.visionserve.service.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A resampled window is pixel for pixel the same window of the full resize. */
class PillowResizeWindowTest {

    private static RgbImage noise(int w, int h, long seed) {
        byte[] px = new byte[w * h * 3];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) r.nextInt(256);
        }
        return new RgbImage(w, h, px);
    }

    private static byte[] window(RgbImage full, int left, int top, int w, int h) {
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            System.arraycopy(full.pixels(), ((top + y) * full.width() + left) * 3, out, y * w * 3, w * 3);
        }
        return out;
    }

    @Test
    void windowsEqualTheCropOfTheFullResize() {
        int[][] cases = { // src w, h -> dst w, h
                {451, 300, 384, 256}, {451, 300, 512, 341}, {300, 451, 256, 384}, {97, 61, 40, 200},
                {64, 48, 64, 30}, {64, 48, 20, 48}, {33, 33, 33, 33}, {500, 20, 7, 3}};
        SplittableRandom r = new SplittableRandom(7);
        for (int[] c : cases) {
            RgbImage src = noise(c[0], c[1], c[0] * 31L + c[1]);
            RgbImage full = PillowResize.resize(src, c[2], c[3]);
            for (int t = 0; t < 5; t++) {
                int w = 1 + r.nextInt(c[2]);
                int h = 1 + r.nextInt(c[3]);
                int left = r.nextInt(c[2] - w + 1);
                int top = r.nextInt(c[3] - h + 1);
                RgbImage win = PillowResize.resizeWindow(src, c[2], c[3], left, top, w, h);
                assertThat(win.width()).isEqualTo(w);
                assertThat(win.height()).isEqualTo(h);
                assertThat(win.pixels()).as("%dx%d -> %dx%d window %dx%d at %d,%d", c[0], c[1], c[2], c[3], w, h,
                        left, top).isEqualTo(window(full, left, top, w, h));
            }
        }
    }

    @Test
    void aWindowOutsideTheOutputIsRefused() {
        RgbImage src = noise(10, 10, 1);
        assertThatThrownBy(() -> PillowResize.resizeWindow(src, 8, 8, 4, 0, 5, 8))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not inside 8x8");
    }
}
