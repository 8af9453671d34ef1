package org.visionserve.service.image;

/**
 * The EXIF orientation transforms, as PIL's {@code ImageOps.exif_transpose} applies them:
 * 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse,
 * 8 rotate 90 counter-clockwise.
 */
final class Orientation {

    private Orientation() {
    }

    static RgbImage apply(RgbImage src, int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return src;
        }
        int w = src.width();
        int h = src.height();
        // The source pixel (sx, sy) shown at (x, y), as sx = x0 + ax*x + ay*y, sy = y0 + bx*x + by*y.
        int[] t = switch (orientation) {
            case 2 -> new int[] {w - 1, -1, 0, 0, 0, 1};
            case 3 -> new int[] {w - 1, -1, 0, h - 1, 0, -1};
            case 4 -> new int[] {0, 1, 0, h - 1, 0, -1};
            case 5 -> new int[] {0, 0, 1, 0, 1, 0};
            case 6 -> new int[] {0, 0, 1, h - 1, -1, 0};
            case 7 -> new int[] {w - 1, 0, -1, h - 1, -1, 0};
            default -> new int[] {w - 1, 0, -1, 0, 1, 0}; // 8
        };
        boolean swap = orientation >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        // As pixel indices into the source: start, and steps per output column and row.
        int base = t[3] * w + t[0];
        int stepX = t[4] * w + t[1];
        int stepY = t[5] * w + t[2];
        byte[] in = src.pixels();
        byte[] out = new byte[in.length];
        int o = 0;
        for (int y = 0; y < oh; y++) {
            int s = base + y * stepY;
            for (int x = 0; x < ow; x++, s += stepX, o += 3) {
                int i = s * 3;
                out[o] = in[i];
                out[o + 1] = in[i + 1];
                out[o + 2] = in[i + 2];
            }
        }
        return new RgbImage(ow, oh, out);
    }
}
