package org.visionserve.service.segmentation;

/**
 * The network's answer on the input grid: {@code mask} (0 background, 1 disc; the per-voxel argmax) and,
 * when kept, {@code probability}, the softmax probability of the disc class. Arrays are x fastest.
 */
public record VolumeMask(VolumeGeometry geometry, byte[] mask, float[] probability) {

    public VolumeMask {
        if (mask.length != geometry.voxelCount() || (probability != null && probability.length != mask.length)) {
            throw new IllegalArgumentException("mask/probability size does not match " + geometry.shapeString());
        }
    }

    public long foregroundCount() {
        long n = 0;
        for (byte b : mask) {
            n += b != 0 ? 1 : 0;
        }
        return n;
    }
}
