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

    /** Reads {@code in} (not closed) as a PNG slice when it starts with the PNG signature, else as NIfTI. */
    public static Volume read(InputStream in, VolumeLimits limits) throws IOException, VolumeFormatException {
        BufferedInputStream b = new BufferedInputStream(in, 1 << 16);
        b.mark(8);
        byte[] head = b.readNBytes(8);
        b.reset();
        if (head.length == 8 && (head[0] & 0xff) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G') {
            byte[] png = b.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limits.maxBytes() + 1));
            if (png.length > limits.maxBytes()) {
                throw new VolumeFormatException(Kind.TOO_LARGE, "the PNG is over " + limits.maxBytes()
                        + " bytes (" + VolumeLimits.MAX_BYTES_KEY + ")");
            }
            return PngSlices.read(png, limits);
        }
        return new NiftiReader(limits).read(b);
    }
}
