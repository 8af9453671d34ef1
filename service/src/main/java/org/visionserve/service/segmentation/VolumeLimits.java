package org.visionserve.service.segmentation;

/**
 * Upper bounds on one uploaded volume, checked from its header before anything is allocated.
 *
 * @param maxBytes       decompressed size of one file (header, extensions and voxel data)
 * @param maxVoxels      voxels in one volume (each becomes a float in memory)
 * @param maxSlicePixels one network input slice once padded to multiples of 32; checked from the header for
 *                       PNG slices (whose slicing is known without the affine), from the plan for NIfTI
 */
public record VolumeLimits(long maxBytes, long maxVoxels, long maxSlicePixels) {

    public static final String MAX_BYTES_KEY = "visionserve.limits.max-volume-bytes";
    public static final String MAX_VOXELS_KEY = "visionserve.limits.max-volume-voxels";
    public static final String MAX_SLICE_PIXELS_KEY = "visionserve.limits.max-slice-pixels";

    /** 256 MiB decompressed, 32 Mi voxels, 512x512 slices: a 36x256x256 float64 set (19 MB) fits many times over. */
    public static final VolumeLimits DEFAULT = new VolumeLimits(256L << 20, 32L << 20, 512 * 512);

    /** Java arrays are int-indexed; no configuration can go beyond this. */
    static final long ARRAY_LIMIT = Integer.MAX_VALUE - 8;

    public VolumeLimits {
        if (maxBytes <= 0 || maxVoxels <= 0 || maxSlicePixels <= 0) {
            throw new IllegalArgumentException("limits must be positive: " + maxBytes + " bytes, " + maxVoxels
                    + " voxels, " + maxSlicePixels + " slice pixels");
        }
    }

    /** Bytes and voxels as given, slices as large as the default. */
    public VolumeLimits(long maxBytes, long maxVoxels) {
        this(maxBytes, maxVoxels, DEFAULT.maxSlicePixels);
    }

    /** Refuses {@code voxels} voxels of {@code bytes} bytes in all, {@code what} describing them. */
    public void check(long voxels, long bytes, String what) throws VolumeFormatException {
        if (voxels > maxVoxels || voxels > ARRAY_LIMIT) {
            throw new VolumeFormatException(VolumeFormatException.Kind.TOO_LARGE, what + ": " + voxels
                    + " voxels, over the limit of " + Math.min(maxVoxels, ARRAY_LIMIT) + " (" + MAX_VOXELS_KEY + ")");
        }
        if (bytes > maxBytes) {
            throw new VolumeFormatException(VolumeFormatException.Kind.TOO_LARGE, what + ": " + bytes
                    + " bytes, over the limit of " + maxBytes + " (" + MAX_BYTES_KEY + ")");
        }
    }

    /** Refuses a slice of {@code rows x cols} whose padded network input is over {@code maxSlicePixels}. */
    public void checkSlice(int rows, int cols, String what) throws VolumeFormatException {
        long pixels = SlicePlan.roundUp(rows) * SlicePlan.roundUp(cols);
        if (pixels > maxSlicePixels) {
            throw new VolumeFormatException(VolumeFormatException.Kind.TOO_LARGE, what + ": slices of " + rows + "x"
                    + cols + ", run as " + SlicePlan.roundUp(rows) + "x" + SlicePlan.roundUp(cols) + " = " + pixels
                    + " pixels, over the limit of " + maxSlicePixels + " (" + MAX_SLICE_PIXELS_KEY + ")");
        }
    }
}
