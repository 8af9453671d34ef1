package org.visionserve.service.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.awt.image.RenderedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageOutputStream;

/** Builds test images as bytes: ImageIO encoders plus hand-written segments and chunks. */
final class TestImages {

    private TestImages() {
    }

    static byte[] encode(RenderedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no " + format + " writer for " + image);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** JPEG at quality 1.0 (4:2:0 chroma), with the JDK's writer; {@code metadata} may be null. */
    static byte[] jpeg(BufferedImage image, IIOMetadata metadata) {
        return jpeg(new IIOImage(image, null, metadata));
    }

    /** A raster written as is (4 channels: CMYK or YCCK as the metadata's Adobe transform says). */
    static byte[] jpegRaster(Raster raster, IIOMetadata metadata) {
        return jpeg(new IIOImage(raster, null, metadata));
    }

    private static byte[] jpeg(IIOImage image) {
        ImageWriter writer = jdkJpegWriter();
        ImageWriteParam p = writer.getDefaultWriteParam();
        p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        p.setCompressionQuality(1f);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream os = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(os);
            writer.write(null, image, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    static ImageWriter jdkJpegWriter() {
        for (Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("jpeg"); it.hasNext(); ) {
            ImageWriter w = it.next();
            if (w.getClass().getName().startsWith("com.sun.imageio.")) {
                return w;
            }
        }
        throw new IllegalStateException("no JDK JPEG writer");
    }

    /** Inserts a marker segment (marker byte, payload) right after SOI. */
    static byte[] insertJpegSegment(byte[] jpeg, int marker, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(0xff);
        out.write(marker);
        int len = payload.length + 2;
        out.write(len >> 8);
        out.write(len & 0xff);
        out.write(payload, 0, payload.length);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** An EXIF APP1 payload ("Exif\0\0" + TIFF) whose IFD0 holds only the orientation tag. */
    static byte[] exifApp1(int orientation, boolean littleEndian) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(tiffWithOrientation(orientation, littleEndian));
        return out.toByteArray();
    }

    static byte[] tiffWithOrientation(int orientation, boolean le) {
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        t.writeBytes((le ? "II" : "MM").getBytes(StandardCharsets.ISO_8859_1));
        u16(t, 42, le);
        u32(t, 8, le); // IFD0 right after the header
        u16(t, 1, le); // one entry
        u16(t, 0x0112, le);
        u16(t, 3, le); // SHORT
        u32(t, 1, le);
        u16(t, orientation, le); // value, left-justified in the 4-byte field
        u16(t, 0, le);
        u32(t, 0, le); // no next IFD
        return t.toByteArray();
    }

    private static void u16(ByteArrayOutputStream o, int v, boolean le) {
        if (le) {
            o.write(v & 0xff);
            o.write(v >> 8 & 0xff);
        } else {
            o.write(v >> 8 & 0xff);
            o.write(v & 0xff);
        }
    }

    private static void u32(ByteArrayOutputStream o, long v, boolean le) {
        if (le) {
            u16(o, (int) (v & 0xffff), true);
            u16(o, (int) (v >> 16 & 0xffff), true);
        } else {
            u16(o, (int) (v >> 16 & 0xffff), false);
            u16(o, (int) (v & 0xffff), false);
        }
    }

    /** A PNG chunk: length, type, data, CRC over type and data. */
    static byte[] pngChunk(String type, byte[] data) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        u32(o, data.length, false);
        byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
        o.writeBytes(t);
        o.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        u32(o, crc.getValue(), false);
        return o.toByteArray();
    }

    /** Inserts a chunk right after IHDR (signature 8 bytes + IHDR 25 bytes). */
    static byte[] insertPngChunk(byte[] png, String type, byte[] data) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(png, 0, 33);
        o.writeBytes(pngChunk(type, data));
        o.write(png, 33, png.length - 33);
        return o.toByteArray();
    }

    /** A PNG that declares width x height RGB but carries only a few bytes of (empty) image data. */
    static byte[] pngHeaderOnly(int width, int height) {
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        u32(ihdr, width, false);
        u32(ihdr, height, false);
        ihdr.writeBytes(new byte[] {8, 2, 0, 0, 0}); // 8-bit RGB, deflate, no filter method, no interlace
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        o.writeBytes(pngChunk("IHDR", ihdr.toByteArray()));
        o.writeBytes(pngChunk("IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}));
        o.writeBytes(pngChunk("IEND", new byte[0]));
        return o.toByteArray();
    }

    /** A GIF with a 1x1 first frame on a logical screen of the given size (two-colour palette). */
    static byte[] gifTinyFrameOnScreen(int screenWidth, int screenHeight) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes("GIF89a".getBytes(StandardCharsets.ISO_8859_1));
        u16(o, screenWidth, true);
        u16(o, screenHeight, true);
        o.writeBytes(new byte[] {(byte) 0x80, 0, 0, 0, 0, 0, (byte) 255, (byte) 255, (byte) 255});
        o.write(0x2c);
        o.writeBytes(new byte[] {0, 0, 0, 0, 1, 0, 1, 0, 0}); // at (0, 0), 1x1, no local palette
        // LZW, minimum code size 2: clear (4), index 1, end (5) in 3-bit codes
        o.writeBytes(new byte[] {2, 2, 0x4c, 0x01, 0, 0x3b});
        return o.toByteArray();
    }

    /**
     * A lossless WebP (VP8L) of ARGB pixels in which each channel takes at most two values: no
     * transforms, no colour cache, "simple" prefix codes of one or two 8-bit symbols, so each
     * channel costs one bit per pixel (zero for a channel with a single value).
     */
    static byte[] webpLossless(int width, int height, int[] argb) {
        Bits bits = new Bits();
        bits.put(width - 1, 14);
        bits.put(height - 1, 14);
        bits.put(1, 1); // alpha is used
        bits.put(0, 3); // version
        bits.put(0, 1); // no transform
        bits.put(0, 1); // no colour cache
        bits.put(0, 1); // no meta prefix codes
        int[][] symbols = new int[4][]; // per channel, in VP8L order: green, red, blue, alpha
        int[] shifts = {8, 16, 0, 24};
        for (int c = 0; c < 4; c++) {
            java.util.TreeSet<Integer> values = new java.util.TreeSet<>();
            for (int p : argb) {
                values.add(p >>> shifts[c] & 0xff);
            }
            if (values.size() > 2) {
                throw new IllegalArgumentException("at most two values per channel");
            }
            symbols[c] = values.stream().mapToInt(Integer::intValue).toArray();
            simpleCode(bits, symbols[c]);
        }
        simpleCode(bits, new int[] {0}); // distance code, unused
        for (int p : argb) {
            for (int c = 0; c < 4; c++) {
                if (symbols[c].length == 2) {
                    // Canonical code: the smaller symbol is 0.
                    bits.put((p >>> shifts[c] & 0xff) == symbols[c][0] ? 0 : 1, 1);
                }
            }
        }
        byte[] vp8l = bits.bytes();
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        chunk.write(0x2f);
        chunk.writeBytes(vp8l);
        return riffWebp(new byte[][] {riffChunk("VP8L", chunk.toByteArray())});
    }

    /** A lossless WebP whose header declares width x height but which carries no image data. */
    static byte[] webpHeaderOnly(int width, int height) {
        Bits bits = new Bits();
        bits.put(width - 1, 14);
        bits.put(height - 1, 14);
        bits.put(0, 1);
        bits.put(0, 3);
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        chunk.write(0x2f);
        chunk.writeBytes(bits.bytes());
        chunk.writeBytes(new byte[16]);
        return riffWebp(new byte[][] {riffChunk("VP8L", chunk.toByteArray())});
    }

    private static void simpleCode(Bits bits, int[] symbols) {
        bits.put(1, 1); // simple code
        bits.put(symbols.length - 1, 1);
        bits.put(1, 1); // first symbol has 8 bits
        bits.put(symbols[0], 8);
        if (symbols.length == 2) {
            bits.put(symbols[1], 8);
        }
    }

    static byte[] riffChunk(String fourcc, byte[] data) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(fourcc.getBytes(StandardCharsets.ISO_8859_1));
        u32(o, data.length, true);
        o.writeBytes(data);
        if (data.length % 2 == 1) {
            o.write(0);
        }
        return o.toByteArray();
    }

    static byte[] riffWebp(byte[][] chunks) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("WEBP".getBytes(StandardCharsets.ISO_8859_1));
        for (byte[] c : chunks) {
            body.writeBytes(c);
        }
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes("RIFF".getBytes(StandardCharsets.ISO_8859_1));
        u32(o, body.size(), true);
        o.writeBytes(body.toByteArray());
        return o.toByteArray();
    }

    /** The extended-format header chunk announcing an EXIF chunk (and alpha) for a canvas. */
    static byte[] vp8xWithExif(int width, int height) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(0x08 | 0x10); // EXIF, alpha
        o.writeBytes(new byte[3]);
        for (int v : new int[] {width - 1, height - 1}) {
            o.write(v & 0xff);
            o.write(v >> 8 & 0xff);
            o.write(v >> 16 & 0xff);
        }
        return riffChunk("VP8X", o.toByteArray());
    }

    /** LSB-first bit writer, as VP8L reads. */
    private static final class Bits {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private long acc;
        private int n;

        void put(int value, int count) {
            acc |= (long) (value & ((1 << count) - 1)) << n;
            n += count;
            while (n >= 8) {
                out.write((int) (acc & 0xff));
                acc >>>= 8;
                n -= 8;
            }
        }

        byte[] bytes() {
            if (n > 0) {
                out.write((int) (acc & 0xff));
                acc = 0;
                n = 0;
            }
            return out.toByteArray();
        }
    }
}
