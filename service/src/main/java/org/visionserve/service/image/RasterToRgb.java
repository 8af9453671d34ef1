package org.visionserve.service.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Raw raster samples to 8-bit RGB as Pillow's {@code convert("RGB")} would produce them. Never
 * goes through {@code getRGB} or a ColorConvertOp: the samples are taken as they are stored.
 */
final class RasterToRgb {

    private RasterToRgb() {
    }

    /** @param clampGray16 16-bit gray is clamped to 0..255 (Pillow mode "I"), else its high byte is kept */
    static RgbImage convert(BufferedImage image, boolean clampGray16) {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[w * h * 3];
        if (cm instanceof IndexColorModel icm) {
            palette(raster, icm, out);
            return new RgbImage(w, h, out);
        }
        int colors = cm.getNumColorComponents();
        int bands = raster.getNumBands();
        // Per band, 0..max to 0..255.
        int[][] lut = new int[bands][];
        for (int b = 0; b < bands; b++) {
            lut[b] = scaleTable(cm.getComponentSize(b), clampGray16 && colors == 1 && b == 0);
        }
        int[] row = new int[w * bands];
        int o = 0;
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            if (colors == 1) {
                int[] t = lut[0];
                for (int x = 0; x < w; x++) {
                    byte v = (byte) t[row[x * bands]];
                    out[o++] = v;
                    out[o++] = v;
                    out[o++] = v;
                }
            } else if (colors == 3) {
                for (int x = 0, i = 0; x < w; x++, i += bands) {
                    out[o++] = (byte) lut[0][row[i]];
                    out[o++] = (byte) lut[1][row[i + 1]];
                    out[o++] = (byte) lut[2][row[i + 2]];
                }
            } else {
                throw new IllegalArgumentException("unsupported colour model with " + colors + " components ("
                        + cm.getColorSpace().getType() + ")");
            }
        }
        return new RgbImage(w, h, out);
    }

    /**
     * Sample value to 8 bits. Pillow: 8 bits as is; fewer bits scaled by {@code v * 255 / max} (its
     * BMP 5/6-bit unpackers; PNG 2/4-bit gray comes as an IndexColorModel); 16 bits keep the high
     * byte (RGB;16B, LA;16B), except 16-bit gray PNG which Pillow opens as mode "I" and whose
     * {@code convert("RGB")} clamps to 0..255.
     */
    private static int[] scaleTable(int bits, boolean clamp16) {
        if (bits < 1 || bits > 16) {
            // e.g. BMP bit fields wider than 16 bits, which Pillow does not read either
            throw new IllegalArgumentException("unsupported sample size of " + bits + " bits");
        }
        int max = (1 << bits) - 1;
        int[] t = new int[max + 1];
        for (int v = 0; v <= max; v++) {
            if (bits == 16) {
                t[v] = clamp16 ? Math.min(v, 255) : v >> 8;
            } else if (bits > 8) {
                t[v] = v >> (bits - 8);
            } else {
                t[v] = v * 255 / max;
            }
        }
        return t;
    }

    /** Indexed images: each index's palette colour; the palette's alpha is dropped as PIL's P -> RGB does. */
    private static void palette(Raster raster, IndexColorModel icm, byte[] out) {
        int n = icm.getMapSize();
        byte[] r = new byte[n];
        byte[] g = new byte[n];
        byte[] b = new byte[n];
        icm.getReds(r);
        icm.getGreens(g);
        icm.getBlues(b);
        int w = raster.getWidth();
        int[] row = new int[w];
        int o = 0;
        for (int y = 0; y < raster.getHeight(); y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0; x < w; x++, o += 3) {
                int i = row[x];
                if (i < n) {
                    out[o] = r[i];
                    out[o + 1] = g[i];
                    out[o + 2] = b[i];
                } else {
                    // Beyond the file's palette: Pillow's palette starts as a grey ramp.
                    out[o] = out[o + 1] = out[o + 2] = (byte) i;
                }
            }
        }
    }

    /** Places a GIF's first frame on its logical screen, as Pillow does (see {@link ImageMetadata.GifLayout}). */
    static RgbImage onGifScreen(RgbImage frame, ColorModel cm, ImageMetadata.GifLayout gif) {
        int w = gif.canvasWidth(frame.width());
        int h = gif.canvasHeight(frame.height());
        if (gif.left() == 0 && gif.top() == 0 && w == frame.width() && h == frame.height()) {
            return frame;
        }
        int fill = gif.fillIndex();
        byte[] rgb = {(byte) fill, (byte) fill, (byte) fill}; // beyond the palette: Pillow's grey ramp
        if (cm instanceof IndexColorModel icm && fill < icm.getMapSize()) {
            rgb = new byte[] {(byte) icm.getRed(fill), (byte) icm.getGreen(fill), (byte) icm.getBlue(fill)};
        }
        byte[] out = new byte[w * h * 3];
        for (int i = 0; i < out.length; i += 3) {
            out[i] = rgb[0];
            out[i + 1] = rgb[1];
            out[i + 2] = rgb[2];
        }
        for (int y = 0; y < frame.height(); y++) {
            System.arraycopy(frame.pixels(), y * frame.width() * 3, out, ((gif.top() + y) * w + gif.left()) * 3,
                    frame.width() * 3);
        }
        return new RgbImage(w, h, out);
    }

    /**
     * A JPEG's raw components (as stored, upsampled) to RGB as libjpeg + Pillow produce it: gray
     * replicated; YCbCr through libjpeg's fixed-point tables (RGB-coded files copied); 4 channels:
     * libjpeg turns YCCK into CMYK, Pillow reads every CMYK JPEG as "CMYK;I" (inverted, Adobe's
     * convention) and converts with its naive {@code cmyk2rgb}.
     */
    static RgbImage jpeg(Raster raw, ImageMetadata meta) {
        int bands = raw.getNumBands();
        if (raw.getTransferType() != DataBuffer.TYPE_BYTE || bands != 1 && bands != 3 && bands != 4) {
            throw ImageDecodeException.unsupported("JPEG with " + bands + " components is not supported");
        }
        boolean rgbCoded = bands == 3 && meta.jpegIsRgb();
        boolean ycck = bands == 4 && meta.jpegIsYcck();
        int w = raw.getWidth();
        int h = raw.getHeight();
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w * bands];
        int o = 0;
        for (int y = 0; y < h; y++) {
            raw.getPixels(raw.getMinX(), raw.getMinY() + y, w, 1, row);
            for (int i = 0; i < row.length; i += bands, o += 3) {
                if (bands == 1) {
                    out[o] = out[o + 1] = out[o + 2] = (byte) row[i];
                } else if (bands == 3) {
                    if (rgbCoded) {
                        out[o] = (byte) row[i];
                        out[o + 1] = (byte) row[i + 1];
                        out[o + 2] = (byte) row[i + 2];
                    } else {
                        ycbcrToRgb(row[i], row[i + 1], row[i + 2], out, o);
                    }
                } else if (ycck) {
                    // libjpeg's ycck_cmyk_convert gives C = 255 - R(YCbCr), ...; "CMYK;I" inverts back to R.
                    ycbcrToRgb(row[i], row[i + 1], row[i + 2], out, o);
                    cmykToRgb(out[o] & 0xff, out[o + 1] & 0xff, out[o + 2] & 0xff, 255 - row[i + 3], out, o);
                } else {
                    cmykToRgb(255 - row[i], 255 - row[i + 1], 255 - row[i + 2], 255 - row[i + 3], out, o);
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** libjpeg's jdcolor.c ycc_rgb_convert. */
    private static void ycbcrToRgb(int luma, int cb, int cr, byte[] out, int o) {
        out[o] = (byte) clamp(luma + CR_R[cr]);
        out[o + 1] = (byte) clamp(luma + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
        out[o + 2] = (byte) clamp(luma + CB_B[cb]);
    }

    /** Pillow's cmyk2rgb: {@code nk - c * nk / 255} with its rounding MULDIV255. */
    private static void cmykToRgb(int c, int m, int y, int k, byte[] out, int o) {
        int nk = 255 - k;
        out[o] = (byte) clamp(nk - mulDiv255(c, nk));
        out[o + 1] = (byte) clamp(nk - mulDiv255(m, nk));
        out[o + 2] = (byte) clamp(nk - mulDiv255(y, nk));
    }

    private static int mulDiv255(int a, int b) {
        int tmp = a * b + 128;
        return ((tmp >> 8) + tmp) >> 8;
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    // libjpeg's jdcolor.c YCbCr -> RGB tables (16-bit fixed point).
    private static final int SCALEBITS = 16;
    private static final int ONE_HALF = 1 << (SCALEBITS - 1);
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private static int fix(double x) {
        return (int) (x * (1L << SCALEBITS) + 0.5);
    }
}
