package org.visionserve.service.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.visionserve.service.HostilePngs;
import org.visionserve.service.image.ImageDecodeException.Kind;

class ImageDecoderTest {

    private static final ImageLimits LIMITS = new ImageLimits(10_000_000, 40_000_000);
    private final ImageDecoder decoder = new ImageDecoder(LIMITS);

    // Four flat quadrants, each 32x16, aligned to the 16x16 JPEG MCUs so JPEG keeps them flat.
    private static final int[] RED = {230, 20, 20};
    private static final int[] GREEN = {20, 220, 40};
    private static final int[] BLUE = {30, 40, 210};
    private static final int[] YELLOW = {240, 230, 30};

    private static BufferedImage quadrants() {
        BufferedImage img = new BufferedImage(64, 32, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        int[][] colours = {RED, GREEN, BLUE, YELLOW};
        for (int q = 0; q < 4; q++) {
            int[] c = colours[q];
            g.setColor(new Color(c[0], c[1], c[2]));
            g.fillRect((q % 2) * 32, (q / 2) * 16, 32, 16);
        }
        g.dispose();
        return img;
    }

    /** Display corners (TL, TR, BL, BR) per EXIF orientation, as the source quadrant that lands there. */
    private static int[][] expectedCorners(int orientation) {
        int[] tl = RED;
        int[] tr = GREEN;
        int[] bl = BLUE;
        int[] br = YELLOW;
        return switch (orientation) {
            case 1 -> new int[][] {tl, tr, bl, br};
            case 2 -> new int[][] {tr, tl, br, bl}; // mirrored
            case 3 -> new int[][] {br, bl, tr, tl}; // rotated 180
            case 4 -> new int[][] {bl, br, tl, tr}; // flipped
            case 5 -> new int[][] {tl, bl, tr, br}; // transposed
            case 6 -> new int[][] {bl, tl, br, tr}; // rotated 90 clockwise
            case 7 -> new int[][] {br, tr, bl, tl}; // transverse
            case 8 -> new int[][] {tr, br, tl, bl}; // rotated 90 counter-clockwise
            default -> throw new IllegalArgumentException();
        };
    }

    private static void assertCorners(RgbImage img, int[][] corners, int tolerance) {
        int w = img.width();
        int h = img.height();
        int[][] points = {{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}};
        for (int i = 0; i < 4; i++) {
            for (int c = 0; c < 3; c++) {
                int got = img.sample(points[i][0], points[i][1], c);
                assertTrue(Math.abs(got - corners[i][c]) <= tolerance, "corner " + i + " channel " + c + ": expected "
                        + corners[i][c] + ", got " + got);
            }
        }
    }

    @ParameterizedTest(name = "EXIF orientation {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void jpegExifOrientation(int orientation) {
        byte[] jpeg = TestImages.insertJpegSegment(TestImages.jpeg(quadrants(), null), 0xe1,
                TestImages.exifApp1(orientation, orientation % 2 == 0));
        RgbImage img = decoder.decode(jpeg, "image/jpeg");
        boolean swapped = orientation >= 5;
        assertEquals(swapped ? 32 : 64, img.width());
        assertEquals(swapped ? 64 : 32, img.height());
        assertCorners(img, expectedCorners(orientation), 6);
    }

    @Test
    void pngExifOrientation() {
        byte[] png = TestImages.insertPngChunk(TestImages.encode(quadrants(), "png"), "eXIf",
                TestImages.tiffWithOrientation(6, false));
        RgbImage img = decoder.decode(png, "image/png");
        assertEquals(32, img.width());
        assertEquals(64, img.height());
        assertCorners(img, expectedCorners(6), 0);
    }

    @Test
    void pngRgbIsExact() {
        BufferedImage src = noise(37, 23, BufferedImage.TYPE_3BYTE_BGR, 1);
        RgbImage img = decoder.decode(TestImages.encode(src, "png"), null);
        assertArrayEquals(rgbOf(src), img.pixels());
    }

    @Test
    void bmpIsExact() {
        BufferedImage src = noise(37, 23, BufferedImage.TYPE_3BYTE_BGR, 2);
        RgbImage img = decoder.decode(TestImages.encode(src, "bmp"), "image/bmp");
        assertArrayEquals(rgbOf(src), img.pixels());
    }

    @Test
    void bmp16BitScalesAsPillow() {
        BufferedImage src = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_565_RGB);
        WritableRaster r = src.getRaster();
        r.setPixel(0, 0, new int[] {31, 63, 0});
        r.setPixel(1, 0, new int[] {10, 33, 17});
        RgbImage img = decoder.decode(TestImages.encode(src, "bmp"), "image/bmp");
        // Pillow's BGR;16 unpacker: v * 255 / 31 (5 bits), v * 255 / 63 (6 bits), integer division.
        assertArrayEquals(bytes(255, 255, 0, 82, 133, 139), img.pixels());
    }

    @Test
    void grayscalePngAndJpeg() {
        BufferedImage gray = new BufferedImage(32, 16, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster r = gray.getRaster();
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 32; x++) {
                r.setSample(x, y, 0, x < 16 ? 17 : 201);
            }
        }
        RgbImage png = decoder.decode(TestImages.encode(gray, "png"), "image/png");
        assertEquals(17, png.sample(3, 3, 0));
        assertEquals(17, png.sample(3, 3, 2));
        assertEquals(201, png.sample(20, 3, 1));
        RgbImage jpg = decoder.decode(TestImages.jpeg(gray, null), "image/jpeg");
        for (int c = 0; c < 3; c++) {
            assertTrue(Math.abs(jpg.sample(4, 8, c) - 17) <= 1);
            assertTrue(Math.abs(jpg.sample(28, 8, c) - 201) <= 1);
        }
    }

    @Test
    void grayAlphaPngDropsAlpha() {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        BufferedImage img = new BufferedImage(cm, cm.createCompatibleWritableRaster(2, 1), false, null);
        img.getRaster().setPixel(0, 0, new int[] {90, 0});
        img.getRaster().setPixel(1, 0, new int[] {200, 128});
        RgbImage rgb = decoder.decode(TestImages.encode(img, "png"), "image/png");
        assertArrayEquals(bytes(90, 90, 90, 200, 200, 200), rgb.pixels());
    }

    @Test
    void rgbaPngDropsAlphaWithoutCompositing() {
        BufferedImage img = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x000a_c81e); // fully transparent: its colour is kept, not blended to black or white
        img.setRGB(1, 0, 0x80ff_0000);
        img.setRGB(2, 0, 0xff12_3456);
        RgbImage rgb = decoder.decode(TestImages.encode(img, "png"), "image/png");
        assertArrayEquals(bytes(10, 200, 30, 255, 0, 0, 0x12, 0x34, 0x56), rgb.pixels());
    }

    @Test
    void palettePngAndGif() {
        byte[] r = bytes(255, 0, 10, 200);
        byte[] g = bytes(0, 128, 20, 200);
        byte[] b = bytes(0, 255, 30, 10);
        IndexColorModel icm = new IndexColorModel(8, 4, r, g, b, 2); // index 2 transparent: colour still used
        // 8 rows: the JDK's GIF writer/reader pair garbles interlaced images of fewer than 4 rows.
        BufferedImage img = new BufferedImage(4, 8, BufferedImage.TYPE_BYTE_INDEXED, icm);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 4; x++) {
                img.getRaster().setSample(x, y, 0, y % 2 == 0 ? x : 3 - x);
            }
        }
        byte[] expectedRow0 = bytes(255, 0, 0, 0, 128, 255, 10, 20, 30, 200, 200, 10);
        for (String format : new String[] {"png", "gif"}) {
            RgbImage rgb = decoder.decode(TestImages.encode(img, format), "image/" + format);
            assertArrayEquals(expectedRow0, Arrays.copyOf(rgb.pixels(), 12), format);
            assertEquals(200, rgb.sample(0, 1, 0), format);
            assertEquals(255, rgb.sample(3, 1, 0), format);
        }
    }

    @Test
    void fourBitPalettePng() {
        IndexColorModel icm = new IndexColorModel(4, 3, bytes(1, 2, 3), bytes(4, 5, 6), bytes(7, 8, 9));
        BufferedImage img = new BufferedImage(5, 1, BufferedImage.TYPE_BYTE_BINARY, icm);
        for (int x = 0; x < 5; x++) {
            img.getRaster().setSample(x, 0, 0, x % 3);
        }
        RgbImage rgb = decoder.decode(TestImages.encode(img, "png"), "image/png");
        assertArrayEquals(bytes(1, 4, 7, 2, 5, 8, 3, 6, 9, 1, 4, 7, 2, 5, 8), rgb.pixels());
    }

    @Test
    void sixteenBitPngAsPillow() {
        // Plain 16-bit gray opens in Pillow 9.4 as mode "I"; convert("RGB") clamps to 0..255.
        BufferedImage gray = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
        gray.getRaster().setPixels(0, 0, 3, 1, new int[] {100, 300, 65535});
        assertArrayEquals(bytes(100, 100, 100, 255, 255, 255, 255, 255, 255),
                decoder.decode(TestImages.encode(gray, "png"), "image/png").pixels());

        // 16-bit RGB(A) and gray+alpha: Pillow's RGB;16B / RGBA;16B / LA;16B unpackers keep the high byte.
        ComponentColorModel rgb16 = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        BufferedImage rgb = new BufferedImage(rgb16, rgb16.createCompatibleWritableRaster(2, 1), false, null);
        rgb.getRaster().setPixels(0, 0, 2, 1, new int[] {0xabcd, 0x00ff, 0xff00, 0x1234, 0x5678, 0x9abc});
        assertArrayEquals(bytes(0xab, 0x00, 0xff, 0x12, 0x56, 0x9a),
                decoder.decode(TestImages.encode(rgb, "png"), "image/png").pixels());

        ComponentColorModel la16 = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_USHORT);
        BufferedImage la = new BufferedImage(la16, la16.createCompatibleWritableRaster(1, 1), false, null);
        la.getRaster().setPixel(0, 0, new int[] {0x7f01, 0x1000});
        assertArrayEquals(bytes(0x7f, 0x7f, 0x7f), decoder.decode(TestImages.encode(la, "png"), "image/png").pixels());
    }

    /**
     * 4-channel JPEGs: raw samples (200, 60, 100, 40) everywhere. Expected values follow Pillow:
     * "CMYK;I" inverts, then r = nk - MULDIV255(c, nk) with nk = 255 - k.
     * Plain CMYK (Adobe transform 0): CMYK = (55, 195, 155, 215), nk = 40 -> RGB (31, 9, 16).
     * YCCK (transform 2): libjpeg's YCbCr->RGB of (200, 60, 100) is (161, 243, 80), which after
     * its C = 255 - R and Pillow's inversion is CMYK (161, 243, 80, 215) -> RGB (15, 2, 27).
     */
    @ParameterizedTest(name = "Adobe transform {0}")
    @ValueSource(ints = {0, 2})
    void cmykAndYcckJpeg(int transform) throws Exception {
        WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 32, 16, 4, null);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 32; x++) {
                raster.setPixel(x, y, new int[] {200, 60, 100, 40});
            }
        }
        ImageWriter writer = TestImages.jdkJpegWriter();
        ImageWriteParam p = writer.getDefaultWriteParam();
        ColorSpace cmyk = new ColorSpace(ColorSpace.TYPE_CMYK, 4) {
            public float[] toRGB(float[] v) { return new float[3]; }
            public float[] fromRGB(float[] v) { return new float[4]; }
            public float[] toCIEXYZ(float[] v) { return new float[3]; }
            public float[] fromCIEXYZ(float[] v) { return new float[4]; }
        };
        IIOMetadata md = writer.getDefaultImageMetadata(
                ImageTypeSpecifier.createInterleaved(cmyk, new int[] {0, 1, 2, 3}, DataBuffer.TYPE_BYTE, false, false), p);
        String format = "javax_imageio_jpeg_image_1.0";
        IIOMetadataNode root = (IIOMetadataNode) md.getAsTree(format);
        IIOMetadataNode adobe = (IIOMetadataNode) root.getElementsByTagName("app14Adobe").item(0);
        adobe.setAttribute("transform", Integer.toString(transform));
        md.setFromTree(format, root);
        writer.dispose();
        // The JDK writer stores the samples as given and labels them with the transform.
        byte[] jpeg = TestImages.jpegRaster(raster, md);
        RgbImage img = decoder.decode(jpeg, "image/jpeg");
        int[] expected = transform == 0 ? new int[] {31, 9, 16} : new int[] {15, 2, 27};
        for (int c = 0; c < 3; c++) {
            assertTrue(Math.abs(img.sample(10, 5, c) - expected[c]) <= 1,
                    "channel " + c + ": expected " + expected[c] + ", got " + img.sample(10, 5, c));
        }
    }

    @Test
    void jpegColourConversionIsLibjpegs() throws Exception {
        // Without an ICC profile the JDK's own decode is libjpeg's; ours, from the raw components, must match it.
        byte[] jpeg = TestImages.jpeg(noise(61, 35, BufferedImage.TYPE_3BYTE_BGR, 10), null);
        BufferedImage jdk = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(jpeg));
        assertEquals(BufferedImage.TYPE_3BYTE_BGR, jdk.getType());
        assertArrayEquals(rgbOf(jdk), decoder.decode(jpeg, "image/jpeg").pixels());
    }

    /**
     * libjpeg's (and so PIL's) rules for 3 components: RGB-coded when an Adobe marker says transform
     * 0, or, with no JFIF/Adobe marker, when the component ids are 'R','G','B'; YCbCr otherwise.
     */
    @Test
    void rgbCodedJpegFollowsLibjpegsRules() throws Exception {
        BufferedImage src = noise(32, 16, BufferedImage.TYPE_3BYTE_BGR, 11);
        ImageWriter writer = TestImages.jdkJpegWriter();
        IIOMetadata md = writer.getDefaultImageMetadata(new ImageTypeSpecifier(src), writer.getDefaultWriteParam());
        writer.dispose();
        String format = "javax_imageio_jpeg_image_1.0";
        IIOMetadataNode root = (IIOMetadataNode) md.getAsTree(format);
        IIOMetadataNode jfif = (IIOMetadataNode) root.getElementsByTagName("app0JFIF").item(0);
        jfif.getParentNode().removeChild(jfif);
        IIOMetadataNode adobe = new IIOMetadataNode("app14Adobe");
        adobe.setAttribute("transform", "0");
        IIOMetadataNode markers = (IIOMetadataNode) root.getElementsByTagName("markerSequence").item(0);
        markers.insertBefore(adobe, markers.getFirstChild());
        md.setFromTree(format, root);
        byte[] adobeRgb = TestImages.jpeg(src, md);
        assertEquals(0xee, adobeRgb[3] & 0xff, "Adobe marker first");

        RgbImage rgb = decoder.decode(adobeRgb, "image/jpeg");
        // The JDK also reads Adobe transform 0 as RGB; without an ICC profile its samples are the same.
        BufferedImage jdk = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(adobeRgb));
        assertArrayEquals(rgbOf(jdk), rgb.pixels());

        // Without the Adobe marker, component ids 1, 2, 3 mean YCbCr and 'R', 'G', 'B' mean RGB.
        int adobeLength = ((adobeRgb[4] & 0xff) << 8 | (adobeRgb[5] & 0xff)) + 2;
        byte[] unmarked = new byte[adobeRgb.length - adobeLength];
        System.arraycopy(adobeRgb, 0, unmarked, 0, 2);
        System.arraycopy(adobeRgb, 2 + adobeLength, unmarked, 2, unmarked.length - 2);
        assertTrue(!Arrays.equals(rgb.pixels(), decoder.decode(unmarked, null).pixels()), "ids 1,2,3: YCbCr");
        assertArrayEquals(rgb.pixels(), decoder.decode(withComponentIds(unmarked, "RGB"), null).pixels());
    }

    /** Rewrites the component ids in the frame and scan headers. */
    private static byte[] withComponentIds(byte[] jpeg, String ids) {
        byte[] b = jpeg.clone();
        for (int i = 2; i < b.length; ) {
            int marker = b[i + 1] & 0xff;
            int len = (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
            if (marker == 0xc0) {
                for (int c = 0; c < 3; c++) {
                    b[i + 10 + 3 * c] = (byte) ids.charAt(c);
                }
            } else if (marker == 0xda) {
                for (int c = 0; c < 3; c++) {
                    b[i + 5 + 2 * c] = (byte) ids.charAt(c);
                }
                break;
            }
            i += 2 + len;
        }
        return b;
    }

    @Test
    void iccProfileAndGammaAreIgnored() {
        BufferedImage src = noise(48, 32, BufferedImage.TYPE_3BYTE_BGR, 3);
        byte[] jpeg = TestImages.jpeg(src, null);
        byte[] icc = ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData();
        byte[] app2 = new byte[14 + icc.length];
        System.arraycopy("ICC_PROFILE\0".getBytes(StandardCharsets.ISO_8859_1), 0, app2, 0, 12);
        app2[12] = 1; // chunk 1 of 1
        app2[13] = 1;
        System.arraycopy(icc, 0, app2, 14, icc.length);
        byte[] tagged = TestImages.insertJpegSegment(jpeg, 0xe2, app2);
        assertArrayEquals(decoder.decode(jpeg, null).pixels(), decoder.decode(tagged, null).pixels());

        byte[] png = TestImages.encode(src, "png");
        byte[] gamma = TestImages.insertPngChunk(png, "gAMA", bytes(0, 0, 0x3a, 0x98)); // gamma 0.15
        assertArrayEquals(rgbOf(src), decoder.decode(gamma, null).pixels());
    }

    @Test
    void webpLossless() {
        int[] argb = {0xff10_2030, 0x0010_2030, 0xffc8_2030, 0xff10_20f0, 0x0010_8030, 0xffc8_80f0};
        byte[] webp = TestImages.webpLossless(3, 2, argb);
        RgbImage img = decoder.decode(webp, "image/webp");
        assertEquals(3, img.width());
        assertEquals(2, img.height());
        byte[] expected = new byte[18];
        for (int i = 0; i < 6; i++) {
            expected[i * 3] = (byte) (argb[i] >> 16);
            expected[i * 3 + 1] = (byte) (argb[i] >> 8);
            expected[i * 3 + 2] = (byte) argb[i];
        }
        assertArrayEquals(expected, img.pixels());
    }

    @Test
    void webpExifOrientation() {
        int[] argb = new int[8 * 4];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 8; x++) {
                argb[y * 8 + x] = 0xff00_0000 | (x < 4 ? 0xe6_0000 : 0x14_0000) | (y < 2 ? 0xdc : 0x28);
            }
        }
        byte[] plain = TestImages.webpLossless(8, 4, argb);
        byte[] vp8l = Arrays.copyOfRange(plain, 12, plain.length);
        byte[] webp = TestImages.riffWebp(new byte[][] {TestImages.vp8xWithExif(8, 4), vp8l,
                TestImages.riffChunk("EXIF", TestImages.tiffWithOrientation(8, true))});
        RgbImage img = decoder.decode(webp, "image/webp");
        assertEquals(4, img.width());
        assertEquals(8, img.height());
        // Rotated 90 counter-clockwise: the source's top-right (R 0x14, B 0xdc) is now top-left.
        assertEquals(0x14, img.sample(0, 0, 0));
        assertEquals(0xdc, img.sample(0, 0, 2));
        assertEquals(0xe6, img.sample(0, 7, 0));
    }

    @Test
    void truncatedJpegIsCorrupt() {
        byte[] jpeg = TestImages.jpeg(noise(96, 64, BufferedImage.TYPE_3BYTE_BGR, 4), null);
        assertKind(Kind.CORRUPT, Arrays.copyOf(jpeg, jpeg.length / 2), "image/jpeg");
        assertKind(Kind.CORRUPT, Arrays.copyOf(jpeg, jpeg.length - 2), "image/jpeg"); // only EOI missing
        assertKind(Kind.CORRUPT, Arrays.copyOf(jpeg, 40), "image/jpeg"); // inside the headers
    }

    @Test
    void truncatedPngIsCorrupt() {
        byte[] png = TestImages.encode(noise(96, 64, BufferedImage.TYPE_3BYTE_BGR, 5), "png");
        assertKind(Kind.CORRUPT, Arrays.copyOf(png, png.length / 2), "image/png");
        assertKind(Kind.CORRUPT, Arrays.copyOf(png, 30), "image/png");
    }

    @Test
    void truncatedGifAndBmpAreCorrupt() {
        BufferedImage img = noise(96, 64, BufferedImage.TYPE_BYTE_INDEXED, 6);
        byte[] gif = TestImages.encode(img, "gif");
        assertKind(Kind.CORRUPT, Arrays.copyOf(gif, gif.length / 2), "image/gif");
        byte[] bmp = TestImages.encode(noise(96, 64, BufferedImage.TYPE_3BYTE_BGR, 7), "bmp");
        assertKind(Kind.CORRUPT, Arrays.copyOf(bmp, bmp.length / 2), "image/bmp");
    }

    @Test
    void randomBytesAndTextAreUnsupported() {
        byte[] random = new byte[4096];
        new Random(8).nextBytes(random);
        random[0] = 0x12; // not a signature by chance
        assertKind(Kind.UNSUPPORTED_MEDIA_TYPE, random, "application/octet-stream");
        assertKind(Kind.UNSUPPORTED_MEDIA_TYPE, "hello, this is not an image\n".getBytes(StandardCharsets.UTF_8),
                null);
        byte[] png = TestImages.encode(quadrants(), "png");
        assertKind(Kind.UNSUPPORTED_MEDIA_TYPE, png, "text/plain");
        assertKind(Kind.UNSUPPORTED_MEDIA_TYPE, png, "application/json; charset=utf-8");
        // The bytes decide the format; an image content type that disagrees is only a hint.
        assertEquals(64, decoder.decode(png, "image/jpeg").width());
        assertEquals(64, decoder.decode(png, "application/octet-stream").width());
    }

    @Test
    void declaredHugeImageIsRefusedBeforeDecoding() {
        byte[] bomb = TestImages.pngHeaderOnly(100_000, 100_000);
        ImageDecodeException e = assertKind(Kind.TOO_LARGE, bomb, "image/png");
        assertEquals(LIMITS.maxPixels(), e.limit());
        assertEquals("visionserve.limits.max-image-pixels", e.configKey());
        assertTrue(e.getMessage().contains("100000x100000"), e.getMessage());
    }

    @Test
    void aspectRatioIsCheckedFromTheHeaderInEveryShape() {
        ImageDecoder d = new ImageDecoder(new ImageLimits(10_000_000, 40_000_000, 100));
        // at the limit: measured, and decoded
        assertEquals(new ImageDecoder.Size(100, 1), d.probe(HostilePngs.flatGrey(100, 1, 7), "image/png"));
        assertEquals(new ImageDecoder.Size(3, 300), d.probe(HostilePngs.flatGrey(3, 300, 7), null));
        assertEquals(300, d.decode(HostilePngs.flatGrey(3, 300, 7), "image/png").height());
        // past it: refused from a header with no data behind it, which decoding would call corrupt
        int[][] shapes = {{101, 1}, {1, 101}, {3, 301}, {40_000_000, 1}, {1, 40_000_000}, {10, 4_000_000}};
        for (int[] wh : shapes) {
            byte[] header = HostilePngs.headerOnly(wh[0], wh[1]);
            assertAspectRatioRefused(() -> d.probe(header, "image/png"), wh[0] + "x" + wh[1]);
            assertAspectRatioRefused(() -> d.decode(header, "image/png"), wh[0] + "x" + wh[1]);
        }
    }

    private static void assertAspectRatioRefused(Executable call, String size) {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, call);
        assertEquals(Kind.TOO_LARGE, e.kind(), e.getMessage());
        assertEquals(100, e.limit());
        assertEquals("visionserve.limits.max-image-aspect-ratio", e.configKey());
        assertTrue(e.getMessage().contains(size), e.getMessage());
    }

    @Test
    void probeGivesTheSizeTheImageDecodesTo() {
        byte[] rotated = TestImages.insertJpegSegment(TestImages.jpeg(quadrants(), null), 0xe1,
                TestImages.exifApp1(6, false));
        assertEquals(new ImageDecoder.Size(32, 64), decoder.probe(rotated, "image/jpeg"));
        assertEquals(new ImageDecoder.Size(3, 2), decoder.probe(TestImages.gifTinyFrameOnScreen(3, 2), "image/gif"));
        // a header alone is enough to measure; decoding it fails
        assertEquals(new ImageDecoder.Size(640, 480), decoder.probe(HostilePngs.headerOnly(640, 480), "image/png"));
        assertKind(Kind.CORRUPT, HostilePngs.headerOnly(640, 480), "image/png");
    }

    @Test
    void decoderFailuresDoNotNameJavaClasses() {
        for (byte[] broken : new byte[][] {HostilePngs.headerOnly(64, 64), Arrays.copyOf(TestImages.encode(quadrants(), "png"), 100),
                Arrays.copyOf(TestImages.jpeg(quadrants(), null), 300)}) {
            ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(broken, null));
            assertFalse(e.getMessage().matches("(?s).*(\\bjava\\.|Exception|@[0-9a-f]{4,}).*"), e.getMessage());
        }
    }

    @Test
    void declaredHugeWebpIsRefusedBeforeDecoding() {
        ImageDecodeException e = assertKind(Kind.TOO_LARGE, TestImages.webpHeaderOnly(16384, 16384), "image/webp");
        assertTrue(e.getMessage().contains("16384x16384"), e.getMessage());
    }

    @Test
    void truncatedWebpIsCorrupt() {
        int[] argb = new int[32 * 32];
        for (int i = 0; i < argb.length; i++) {
            argb[i] = i % 3 == 0 ? 0xff10_2030 : 0xffc8_80f0;
        }
        byte[] webp = TestImages.webpLossless(32, 32, argb);
        assertEquals(32, decoder.decode(webp, "image/webp").width());
        // TwelveMonkeys' lossless decoder would read the missing bytes as zeros; libwebp refuses.
        assertKind(Kind.CORRUPT, Arrays.copyOf(webp, webp.length / 2), "image/webp");
        assertKind(Kind.CORRUPT, Arrays.copyOf(webp, webp.length - 1), "image/webp");
    }

    @Test
    void gifScreenIsCheckedAgainstThePixelLimit() {
        // Pillow returns the whole logical screen, so a tiny frame on a huge screen is a bomb too.
        assertEquals(1, decoder.decode(TestImages.gifTinyFrameOnScreen(1, 1), "image/gif").width());
        RgbImage small = decoder.decode(TestImages.gifTinyFrameOnScreen(3, 2), "image/gif");
        assertEquals(3, small.width());
        assertEquals(2, small.height());
        ImageDecodeException e = assertKind(Kind.TOO_LARGE, TestImages.gifTinyFrameOnScreen(65535, 65535), "image/gif");
        assertEquals("visionserve.limits.max-image-pixels", e.configKey());
    }

    @Test
    void bodyOverByteLimitIsRefused() {
        ImageDecoder small = new ImageDecoder(new ImageLimits(1000, 40_000_000));
        byte[] png = TestImages.encode(noise(64, 64, BufferedImage.TYPE_3BYTE_BGR, 9), "png");
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> small.decode(png, "image/png"));
        assertEquals(Kind.TOO_LARGE, e.kind());
        assertEquals(1000, e.limit());
        assertEquals("visionserve.limits.max-image-bytes", e.configKey());
    }

    @Test
    void emptyBodyIsCorrupt() {
        assertKind(Kind.CORRUPT, new byte[0], "image/png");
    }

    private ImageDecodeException assertKind(Kind kind, byte[] bytes, String contentType) {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(bytes, contentType));
        assertEquals(kind, e.kind(), e.getMessage());
        return e;
    }

    private static BufferedImage noise(int w, int h, int type, long seed) {
        BufferedImage img = new BufferedImage(w, h, type);
        Random rnd = new Random(seed);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rnd.nextInt(0x100_0000));
            }
        }
        return img;
    }

    /** The RGB bytes of an sRGB image (getRGB is exact for TYPE_3BYTE_BGR). */
    private static byte[] rgbOf(BufferedImage img) {
        byte[] out = new byte[img.getWidth() * img.getHeight() * 3];
        int o = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                out[o++] = (byte) (p >> 16);
                out[o++] = (byte) (p >> 8);
                out[o++] = (byte) p;
            }
        }
        return out;
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }
}
