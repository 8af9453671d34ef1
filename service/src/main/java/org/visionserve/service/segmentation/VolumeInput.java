package org.visionserve.service.segmentation;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.visionserve.service.segmentation.VolumeFormatException.Kind;
import org.visionserve.service.segmentation.nifti.NiftiReader;

/** One uploaded modality, NIfTI (.nii or .nii.gz) or PNG, told apart by the first bytes. */
public final class VolumeInput {

    private VolumeInput() {
    }

    /**
     * What a modality's header says, checked against the limits, before any voxel is decoded.
     *
     * @param decodeBytes memory its decoding holds besides the volume's floats: for a PNG the file
     *                    (read, and cached by its reader) and the decoded raster; 0 for NIfTI (streamed)
     */
    public record Header(VolumeGeometry geometry, boolean png, long decodeBytes) {
    }

    /** Reads only {@code in}'s header (a PNG is read through to count its size, not decoded). */
    public static Header probe(InputStream in, VolumeLimits limits) throws IOException, VolumeFormatException {
        BufferedInputStream b = new BufferedInputStream(in, 1 << 16);
        if (isPng(b)) {
            PngSlices.Probe p = PngSlices.probe(b, limits);
            return new Header(p.geometry(), true, 2 * p.bytes() + 2 * p.geometry().voxelCount());
        }
        return new Header(new NiftiReader(limits).header(b).geometry(), false, 0);
    }

    /** Reads {@code in} (not closed) as a PNG slice when it starts with the PNG signature, else as NIfTI. */
    public static Volume read(InputStream in, VolumeLimits limits) throws IOException, VolumeFormatException {
        return read(in, limits, () -> { });
    }

    /** As {@link #read(InputStream, VolumeLimits)}, running {@code checkpoint} between chunks of a NIfTI's data. */
    public static Volume read(InputStream in, VolumeLimits limits, Runnable checkpoint)
            throws IOException, VolumeFormatException {
        BufferedInputStream b = new BufferedInputStream(in, 1 << 16);
        if (isPng(b)) {
            byte[] png = b.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limits.maxBytes() + 1));
            if (png.length > limits.maxBytes()) {
                throw new VolumeFormatException(Kind.TOO_LARGE, "the PNG is over " + limits.maxBytes()
                        + " bytes (" + VolumeLimits.MAX_BYTES_KEY + ")");
            }
            return PngSlices.read(png, limits); // one slice within max-slice-pixels: decoded at once
        }
        return new NiftiReader(limits).read(b, checkpoint);
    }

    private static boolean isPng(BufferedInputStream b) throws IOException {
        b.mark(8);
        byte[] head = b.readNBytes(8);
        b.reset();
        return head.length == 8 && (head[0] & 0xff) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G';
    }
}
