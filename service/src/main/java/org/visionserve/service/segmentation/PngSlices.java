package org.visionserve.service.segmentation;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
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

    public static Volume read(byte[] png, VolumeLimits limits) throws VolumeFormatException {
        for (int i = 0; i < PNG_MAGIC.length; i++) {
            if (png.length <= i || png[i] != PNG_MAGIC[i]) {
                throw new VolumeFormatException(Kind.NOT_RECOGNISED, "not a PNG file (no PNG signature)");
            }
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(png))) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("png");
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                // From the IHDR chunk, before the pixels are decoded.
                limits.check((long) w * h, (long) w * h * 2, "PNG of " + w + "x" + h + " pixels");
                limits.checkSlice(h, w, "PNG of " + w + "x" + h + " pixels");
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
