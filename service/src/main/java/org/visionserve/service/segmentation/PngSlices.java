package org.visionserve.service.segmentation;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Arrays;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.visionserve.service.segmentation.VolumeFormatException.Kind;

/**
 * A single 2-D slice given as an 8- or 16-bit grey-scale PNG (as the reference's slice exports), read as
 * a one-slice volume. The raster samples are taken as they are (no colour management); the reference
 * scales 8-bit PNGs by 1/255 ({@code ToTensor}), so {@link Volume#fullScale()} is 255 (65535 for 16-bit).
 *
 * <p>Geometry: a volume of 1 x rows x cols (voxel (0, r, c) = pixel at row r, column c) with 1 mm pixels and
 * an sform that says how the picture is meant to be seen: a sagittal slice (axis 0 = left-right), rows
 * running from superior to inferior, columns from anterior to posterior. The mid-sagittal preview then
 * shows it the way it was given.
 */
public final class PngSlices {

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private PngSlices() {
    }

    /**
     * Measures a PNG slice from its IHDR chunk, checked against the limits, without decoding it; the
     * whole file is read (not kept) to check its size. Returns its geometry and the file's size.
     */
    public static Probe probe(InputStream png, VolumeLimits limits) throws IOException, VolumeFormatException {
        CountingInputStream counted = new CountingInputStream(png);
        byte[] magic = counted.readNBytes(PNG_MAGIC.length);
        if (!Arrays.equals(magic, PNG_MAGIC)) {
            throw new VolumeFormatException(Kind.NOT_RECOGNISED, "not a PNG file (no PNG signature)");
        }
        int w;
        int h;
        try (ImageInputStream in = new MemoryCacheImageInputStream(new SequenceInputStream(
                new ByteArrayInputStream(magic), counted))) {
            ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
            try {
                reader.setInput(in, true, true);
                w = reader.getWidth(0);
                h = reader.getHeight(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new VolumeFormatException(Kind.TRUNCATED, "the PNG header could not be read"
                    + (e instanceof IOException && e.getMessage() != null ? ": " + e.getMessage() : ""), e);
        }
        checkSize(w, h, limits);
        long bytes = counted.count + counted.skipUpTo(limits.maxBytes() + 1 - counted.count);
        if (bytes > limits.maxBytes()) {
            throw new VolumeFormatException(Kind.TOO_LARGE, "the PNG is over " + limits.maxBytes()
                    + " bytes (" + VolumeLimits.MAX_BYTES_KEY + ")");
        }
        return new Probe(geometry(h, w), bytes);
    }

    /** What {@link #probe} found: the slice's geometry and the file's size in bytes. */
    public record Probe(VolumeGeometry geometry, long bytes) {
    }

    private static void checkSize(int w, int h, VolumeLimits limits) throws VolumeFormatException {
        limits.check((long) w * h, (long) w * h * 2, "PNG of " + w + "x" + h + " pixels");
        limits.checkSlice(h, w, "PNG of " + w + "x" + h + " pixels");
    }

    /** Counts the bytes read through it. */
    private static final class CountingInputStream extends FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count += b >= 0 ? 1 : 0;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count += Math.max(n, 0);
            return n;
        }

        /** Reads and drops up to {@code n} bytes; returns how many there were. */
        long skipUpTo(long n) throws IOException {
            byte[] scratch = new byte[8192];
            long done = 0;
            int got;
            while (done < n && (got = in.read(scratch, 0, (int) Math.min(scratch.length, n - done))) > 0) {
                done += got;
            }
            return done;
        }
    }

    public static Volume read(byte[] png, VolumeLimits limits) throws VolumeFormatException {
        for (int i = 0; i < PNG_MAGIC.length; i++) {
            if (png.length <= i || png[i] != PNG_MAGIC[i]) {
                throw new VolumeFormatException(Kind.NOT_RECOGNISED, "not a PNG file (no PNG signature)");
            }
        }
        // in memory: ImageIO.createImageInputStream would cache the stream in a temp file
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(png))) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("png");
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                checkSize(w, h, limits); // from the IHDR chunk, before the pixels are decoded
                BufferedImage img = reader.read(0);
                return toVolume(img);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new VolumeFormatException(Kind.TRUNCATED, "the PNG could not be decoded"
                    + (e.getMessage() != null ? ": " + e.getMessage() : ""), e);
        } catch (RuntimeException e) {
            // a reader's runtime exception speaks of its code, not of the data
            throw new VolumeFormatException(Kind.TRUNCATED, "the PNG could not be decoded (damaged data)", e);
        }
    }

    private static Volume toVolume(BufferedImage img) throws VolumeFormatException {
        ColorModel cm = img.getColorModel();
        int bits = cm.getComponentSize(0);
        if (cm instanceof IndexColorModel || cm.getNumComponents() != 1 || (bits != 8 && bits != 16)) {
            throw new VolumeFormatException(Kind.UNSUPPORTED, "the PNG is " + describe(cm)
                    + "; an 8- or 16-bit grey-scale PNG (one channel, no alpha, no palette) is expected");
        }
        int w = img.getWidth();
        int h = img.getHeight();
        Raster raster = img.getRaster();
        float[] data = new float[w * h];
        int[] row = new int[w];
        for (int r = 0; r < h; r++) {
            raster.getSamples(0, r, w, 1, 0, row);
            for (int c = 0; c < w; c++) {
                data[r + h * c] = row[c]; // voxel (0, r, c): index 0 + 1 * (r + h * c)
            }
        }
        return new Volume(geometry(h, w), data, bits == 8 ? 255 : 65535);
    }

    /**
     * A one-slice mask as an 8-bit grey PNG, 255 = disc, 0 = background (the reference reads any value > 0
     * of a ground-truth PNG as disc), laid out as the slice was given: for a volume read by {@link #read}
     * the PNG has the input picture's rows and columns.
     */
    public static byte[] writeMask(VolumeGeometry g, byte[] mask) throws VolumeFormatException {
        SlicePlan plan = SlicePlan.of(g, 0, 0);
        if (plan.slices() != 1) {
            throw new IllegalArgumentException("a PNG mask needs a single-slice volume, not " + g.shapeString());
        }
        BufferedImage img = new BufferedImage(plan.cols(), plan.rows(), BufferedImage.TYPE_BYTE_GRAY);
        for (int r = 0; r < plan.rows(); r++) {
            for (int c = 0; c < plan.cols(); c++) {
                img.getRaster().setSample(c, r, 0, mask[plan.voxelIndex(g, 0, r, c)] != 0 ? 255 : 0);
            }
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** 1 x rows x cols, 1 mm: axis 0 -> +x (left-right), rows -> -z (down = inferior), cols -> -y (posterior). */
    public static VolumeGeometry geometry(int rows, int cols) {
        return VolumeGeometry.ofAffine(1, rows, cols, Affine.ofRows(
                new double[] {1, 0, 0, 0}, new double[] {0, 0, -1, cols - 1}, new double[] {0, -1, 0, rows - 1}));
    }

    private static String describe(ColorModel cm) {
        if (cm instanceof IndexColorModel) {
            return "a palette image";
        }
        return cm.getNumComponents() + "-channel" + (cm.hasAlpha() ? " (with alpha)" : "") + " at "
                + cm.getComponentSize(0) + " bits";
    }
}
