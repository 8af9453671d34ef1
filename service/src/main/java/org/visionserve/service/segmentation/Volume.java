package org.visionserve.service.segmentation;

/**
 * One scalar volume: its geometry and its voxels as float (scl_slope/scl_inter applied), x fastest.
 *
 * @param fullScale the value that means "full intensity" for fixed-range sources (255 or 65535 for PNG
 *                  slices, which the reference scales by that); 0 when the range is not fixed (NIfTI), in
 *                  which case the volume is min-max normalised
 */
public record Volume(VolumeGeometry geometry, float[] data, double fullScale) {

    public Volume {
        if (data.length != geometry.voxelCount()) {
            throw new IllegalArgumentException(data.length + " voxels for geometry " + geometry.shapeString());
        }
    }

    public Volume(VolumeGeometry geometry, float[] data) {
        this(geometry, data, 0);
    }

    public float get(int i, int j, int k) {
        return data[i + geometry.nx() * (j + geometry.ny() * k)];
    }
}
