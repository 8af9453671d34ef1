package org.visionserve.service.segmentation;

import org.visionserve.service.segmentation.VolumeFormatException.Kind;

/**
 * How a volume is cut into the 2-D network inputs and put back.
 *
 * <p><b>Slicing axis.</b> IVD-Net is a 2-D network trained on sagittal slices (IVDM3Seg: 36 sagittal
 * slices of 256x256 at 2 x 1.25 x 1.25 mm). The slicing axis is the voxel axis whose direction is closest
 * to the world left-right axis (from the affine; for IVDM3Seg's 36x256x256 volumes that is axis 0, the
 * 2 mm one). A volume with a single-voxel axis (one 2-D slice) is sliced along that axis instead.
 *
 * <p><b>In-plane layout.</b> Rows run along the lower-numbered remaining voxel axis, columns along the
 * higher one, in storage order without flips: the array a Python export gets as {@code vol[i, :, :]} from
 * nibabel, which is how slices of the reference's PNG folders are naturally produced.
 *
 * <p><b>Size.</b> The network needs multiples of 32 (four 2x poolings and even centre crops). Slices are
 * zero-padded, centred, to the model's input size (for a model with fixed H, W) or to the next multiple of
 * 32 (dynamic H, W); zero is the background value after normalisation. A slice larger than a fixed model
 * size is refused: the reference never resamples, and resampling would change what the network sees.
 */
public record SlicePlan(int sliceAxis, int rowAxis, int colAxis, int slices, int rows, int cols,
                        int netRows, int netCols, int padTop, int padLeft) {

    public static final int MULTIPLE = 32;

    /**
     * @param netRows the model's fixed input height, or 0 for a model with dynamic H (multiples of 32)
     * @param netCols the model's fixed input width, or 0 for dynamic W
     */
    public static SlicePlan of(VolumeGeometry g, int netRows, int netCols) throws VolumeFormatException {
        if (netRows % MULTIPLE != 0 || netCols % MULTIPLE != 0 || netRows < 0 || netCols < 0) {
            throw new IllegalArgumentException("model input " + netRows + "x" + netCols + " is not a multiple of 32");
        }
        int sliceAxis = sagittalAxis(g);
        int rowAxis = sliceAxis == 0 ? 1 : 0;
        int colAxis = sliceAxis == 2 ? 1 : 2;
        int rows = g.dim(rowAxis);
        int cols = g.dim(colAxis);
        int nr = netRows > 0 ? netRows : (int) roundUp(rows);
        int nc = netCols > 0 ? netCols : (int) roundUp(cols);
        if (rows > nr || cols > nc) {
            throw new VolumeFormatException(Kind.UNSUPPORTED, "the sagittal slices (along voxel axis " + sliceAxis
                    + ") are " + rows + "x" + cols + ", larger than the model's " + nr + "x" + nc
                    + " input; slices are padded up to it but never resampled");
        }
        return new SlicePlan(sliceAxis, rowAxis, colAxis, g.dim(sliceAxis), rows, cols, nr, nc,
                (nr - rows) / 2, (nc - cols) / 2);
    }

    /**
     * The voxel axis of the sagittal slices: the single-voxel axis of a one-slice volume, else the axis whose
     * world direction is closest to left-right.
     */
    public static int sagittalAxis(VolumeGeometry g) {
        int axis = -1;
        for (int a = 0; a < 3; a++) {
            if (g.dim(a) == 1 && (axis < 0
                    || Math.abs(g.affine().direction(a, 0)) > Math.abs(g.affine().direction(axis, 0)))) {
                axis = a;
            }
        }
        return axis >= 0 ? axis : g.affine().axisClosestTo(0);
    }

    static long roundUp(long n) {
        return (n + MULTIPLE - 1) / MULTIPLE * MULTIPLE;
    }

    /** Index into the volume's voxel array of slice s, row r, column c (unpadded coordinates). */
    public int voxelIndex(VolumeGeometry g, int s, int r, int c) {
        return s * g.stride(sliceAxis) + r * g.stride(rowAxis) + c * g.stride(colAxis);
    }
}
