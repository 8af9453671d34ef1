package org.visionserve.service.segmentation;

/**
 * Upper bounds on one uploaded volume, checked from its header before anything is allocated.
 *
 * @param maxBytes  decompressed size of one file (header, extensions and voxel data)
 * @param maxVoxels voxels in one volume (each becomes a float in memory)
 */
public record VolumeLimits(long maxBytes, long maxVoxels) {

    public static final String MAX_BYTES_KEY = "visionserve.limits.max-volume-bytes";
    public static final String MAX_VOXELS_KEY = "visionserve.limits.max-volume-voxels";

    /** 256 MiB decompressed and 32 Mi voxels: a 36x256x256 float64 set (19 MB) fits many times over. */
    public static final VolumeLimits DEFAULT = new VolumeLimits(256L << 20, 32L << 20);

    /** Java arrays are int-indexed; no configuration can go beyond this. */
    static final long ARRAY_LIMIT = Integer.MAX_VALUE - 8;

    public VolumeLimits {
        if (maxBytes <= 0 || maxVoxels <= 0) {
            throw new IllegalArgumentException("limits must be positive: " + maxBytes + " bytes, " + maxVoxels + " voxels");
        }
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
}
