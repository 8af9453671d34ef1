package org.visionserve.service.segmentation;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import javax.imageio.ImageIO;

/**
 * A PNG for a person to look at: the mid-sagittal slice with each disc overlaid in its own colour.
 *
 * <p><b>Which slice.</b> The sagittal axis is the one the network slices along ({@link SlicePlan#sagittalAxis}:
 * the voxel axis closest to world left-right); the slice is its middle index, (n - 1) / 2 rounded down
 * (IVDM3Seg's 36 slices are centred on the spine, so slice 17 cuts the discs).
 *
 * <p><b>How it is shown.</b> Radiological sagittal convention from the affine: superior at the top (the
 * in-plane axis closest to world S-I runs vertically), anterior on the left, square pixels of the smaller
 * in-plane spacing (nearest-neighbour), grey levels windowed to the slice's 0.5-99.5 percentiles. Discs are
 * blended at 50 % in a colour per position; foreground of dropped (too small) components in grey-blue.
 */
public final class PreviewRenderer {

    /** Colours for disc positions 1, 2, ... (cycled). */
    static final int[] PALETTE = {0xe6194b, 0x3cb44b, 0xffe119, 0x4363d8, 0xf58231, 0x911eb4, 0x42d4f4, 0xf032e6};
    static final int DROPPED = 0x8090a0;
    static final double ALPHA = 0.5;

    /** The PNG and where it came from. {@code flipRows}: row 0 is the highest index of {@code rowAxis}. */
    public record Preview(byte[] png, int width, int height, int sliceAxis, int sliceIndex, int rowAxis,
                          int colAxis, boolean flipRows, boolean flipCols) {
    }

    private PreviewRenderer() {
    }

    /** {@code background}: the grey image (e.g. the water image); {@code discs}: labels on the same grid. */
    public static Preview midSagittal(Volume background, DiscAnalysis discs) {
        VolumeGeometry g = background.geometry();
        Affine a = g.affine();
        int sa = SlicePlan.sagittalAxis(g);
        int index = (g.dim(sa) - 1) / 2;
        int rowAxis = a.axisClosestTo(2, sa);
        int colAxis = 3 - sa - rowAxis;
        boolean flipRows = a.direction(rowAxis, 2) > 0; // top = superior
        boolean flipCols = a.direction(colAxis, 1) > 0; // left = anterior
        int nr = g.dim(rowAxis);
        int nc = g.dim(colAxis);
        double sr = g.spacing(rowAxis);
        double sc = g.spacing(colAxis);
        double pixel = Math.min(sr, sc);
        int height = Math.max(1, (int) Math.round(nr * sr / pixel));
        int width = Math.max(1, (int) Math.round(nc * sc / pixel));

        float[] data = background.data();
        int[] labels = discs.labels();
        float[] slice = new float[nr * nc];
        for (int r = 0; r < nr; r++) {
            for (int c = 0; c < nc; c++) {
                slice[r * nc + c] = data[index * g.stride(sa) + r * g.stride(rowAxis) + c * g.stride(colAxis)];
            }
        }
        float[] window = window(slice);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            int r = Math.min(nr - 1, (int) ((y + 0.5) * pixel / sr));
            r = flipRows ? nr - 1 - r : r;
            for (int x = 0; x < width; x++) {
                int c = Math.min(nc - 1, (int) ((x + 0.5) * pixel / sc));
                c = flipCols ? nc - 1 - c : c;
                float v = slice[r * nc + c];
                int grey = window[1] > window[0] && Float.isFinite(v)
                        ? (int) Math.round(255 * Math.max(0, Math.min(1, (v - window[0]) / (window[1] - window[0])))) : 0;
                int label = labels[index * g.stride(sa) + r * g.stride(rowAxis) + c * g.stride(colAxis)];
                int rgb = grey << 16 | grey << 8 | grey;
                if (label != 0) {
                    rgb = blend(rgb, label > 0 ? PALETTE[(label - 1) % PALETTE.length] : DROPPED);
                }
                img.setRGB(x, y, rgb);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Preview(out.toByteArray(), width, height, sa, index, rowAxis, colAxis, flipRows, flipCols);
    }

    private static float[] window(float[] slice) {
        float[] sorted = Arrays.copyOf(slice, slice.length);
        Arrays.sort(sorted); // NaN sort last
        int n = sorted.length;
        while (n > 0 && !Float.isFinite(sorted[n - 1])) {
            n--;
        }
        int lo = 0;
        while (lo < n && !Float.isFinite(sorted[lo])) {
            lo++;
        }
        if (lo >= n) {
            return new float[] {0, 0};
        }
        int count = n - lo;
        return new float[] {sorted[lo + (int) (0.005 * (count - 1))], sorted[lo + (int) Math.ceil(0.995 * (count - 1))]};
    }

    private static int blend(int base, int colour) {
        int out = 0;
        for (int shift = 0; shift <= 16; shift += 8) {
            int b = base >> shift & 0xff;
            int c = colour >> shift & 0xff;
            out |= (int) Math.round(b * (1 - ALPHA) + c * ALPHA) << shift;
        }
        return out;
    }
}
