package org.visionserve.service;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * PNG files written byte by byte, so their dimensions can be anything a header can declare: whole
 * valid images of any shape that deflate to a few kilobytes (a 40,000,000 x 1 grey image is ~40 KB),
 * and headers of huge images with no image data at all.
 */
public final class HostilePngs {

    private HostilePngs() {
    }

    /**
     * A valid 8-bit grey PNG of one flat value: each row is filter byte 0 then the samples, deflated as
     * one stream without holding the raw image.
     */
    public static byte[] flatGrey(int width, int height, int value) {
        return flat(width, height, 1, value);
    }

    /**
     * A valid 8-bit RGB PNG of one flat grey value: three bytes per pixel once decoded, so the decoder
     * holds {@code 3 x width x height} bytes (a 6000 x 6000 one is ~105 KB on the wire, 108 MB decoded).
     */
    public static byte[] flatRgb(int width, int height, int value) {
        return flat(width, height, 3, value);
    }

    private static byte[] flat(int width, int height, int channels, int value) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        int rowBytes = width * channels + 1;
        // narrow images: many rows per deflater call (a 1 x 40,000,000 image is 40 million 2-byte rows)
        int rowsPerChunk = Math.max(1, (1 << 16) / rowBytes);
        byte[] chunk = new byte[rowBytes * rowsPerChunk];
        java.util.Arrays.fill(chunk, (byte) value);
        for (int r = 0; r < rowsPerChunk; r++) {
            chunk[r * rowBytes] = 0; // filter type None
        }
        byte[] buf = new byte[1 << 16];
        for (int y = 0; y < height; y += rowsPerChunk) {
            deflater.setInput(chunk, 0, rowBytes * Math.min(rowsPerChunk, height - y));
            while (!deflater.needsInput()) {
                idat.write(buf, 0, deflater.deflate(buf));
            }
        }
        deflater.finish();
        while (!deflater.finished()) {
            idat.write(buf, 0, deflater.deflate(buf));
        }
        deflater.end();
        return png(width, height, channels == 3 ? 2 : 0, idat.toByteArray());
    }

    /** A PNG that declares width x height 8-bit grey but carries no image data (an empty IDAT). */
    public static byte[] headerOnly(int width, int height) {
        return png(width, height, 0, new byte[0]);
    }

    private static byte[] png(int width, int height, int colourType, byte[] idat) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        o.writeBytes(chunk("IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put(new byte[] {8, (byte) colourType, 0, 0, 0}).array()));
        o.writeBytes(chunk("IDAT", idat));
        o.writeBytes(chunk("IEND", new byte[0]));
        return o.toByteArray();
    }

    private static byte[] chunk(String type, byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(type.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        crc.update(data);
        return ByteBuffer.allocate(12 + data.length).putInt(data.length)
                .put(type.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).put(data).putInt((int) crc.getValue())
                .array();
    }
}
