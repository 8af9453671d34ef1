package org.visionserve.service.segmentation;

import java.util.Arrays;

/**
 * The spatial part of a NIfTI header, kept as stored so that a mask written for the volume carries the
 * same dims, pixdim, qform and sform, plus the voxel-to-world affine resolved from them the way the
 * NIfTI-1 standard orders the methods: sform when {@code sform_code > 0}, else the qform quaternion when
 * {@code qform_code > 0}, else plain pixdim scaling (method 1, no orientation information).
 *
 * <p>Voxels are stored x fastest: index = i + nx * (j + ny * k).
 */
public final class VolumeGeometry {

    /** Which header fields the affine came from. */
    public enum AffineSource { SFORM, QFORM, PIXDIM }

    private final int rank;          // dim[0]
    private final int[] dims;        // nx, ny, nz (nz = 1 for rank 2)
    private final double[] pixdim;   // pixdim[0..7] as stored; pixdim[0] = qfac
    private final int qformCode;
    private final double[] quatern;  // quatern_b, c, d, qoffset_x, y, z
    private final int sformCode;
    private final double[] srow;     // srow_x, srow_y, srow_z (4 each)
    private final int xyztUnits;
    private final Affine affine;
    private final AffineSource affineSource;

    public VolumeGeometry(int rank, int[] dims, double[] pixdim, int qformCode, double[] quatern, int sformCode,
                          double[] srow, int xyztUnits) {
        if (dims.length != 3 || pixdim.length != 8 || quatern.length != 6 || srow.length != 12) {
            throw new IllegalArgumentException("dims[3], pixdim[8], quatern[6], srow[12] expected");
        }
        this.rank = rank;
        this.dims = dims.clone();
        this.pixdim = pixdim.clone();
        this.qformCode = qformCode;
        this.quatern = quatern.clone();
        this.sformCode = sformCode;
        this.srow = srow.clone();
        this.xyztUnits = xyztUnits;
        if (sformCode > 0) {
            affineSource = AffineSource.SFORM;
            affine = Affine.ofRows(Arrays.copyOfRange(srow, 0, 4), Arrays.copyOfRange(srow, 4, 8),
                    Arrays.copyOfRange(srow, 8, 12));
        } else if (qformCode > 0) {
            affineSource = AffineSource.QFORM;
            affine = quaternionToAffine(quatern, spacingOrOne(1), spacingOrOne(2), spacingOrOne(3), pixdim[0]);
        } else {
            affineSource = AffineSource.PIXDIM;
            affine = Affine.scaling(spacingOrOne(1), spacingOrOne(2), spacingOrOne(3));
        }
    }

    /** NIFTI_UNITS_MM | NIFTI_UNITS_SEC. */
    public static final int UNITS_MM_SEC = 2 | 8;

    /** A 3-D geometry whose sform (code 1, scanner) is {@code affine}; pixdim are its column lengths. */
    public static VolumeGeometry ofAffine(int nx, int ny, int nz, Affine affine) {
        double[] pixdim = {1, affine.stepLength(0), affine.stepLength(1), affine.stepLength(2), 0, 0, 0, 0};
        double[] srow = new double[12];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                srow[r * 4 + c] = affine.get(r, c);
            }
        }
        return new VolumeGeometry(3, new int[] {nx, ny, nz}, pixdim, 0, new double[6], 1, srow, UNITS_MM_SEC);
    }

    /** A 3-D geometry given by a qform only (code 1, scanner): quaternion (b, c, d), offsets, spacing, qfac. */
    public static VolumeGeometry ofQuaternion(int nx, int ny, int nz, double[] spacing, double qfac,
                                              double b, double c, double d, double ox, double oy, double oz) {
        double[] pixdim = {qfac, spacing[0], spacing[1], spacing[2], 0, 0, 0, 0};
        return new VolumeGeometry(3, new int[] {nx, ny, nz}, pixdim, 1, new double[] {b, c, d, ox, oy, oz}, 0,
                new double[12], UNITS_MM_SEC);
    }

    /**
     * The NIfTI-1 standard's quaternion to matrix ({@code nifti_quatern_to_mat44}): a = sqrt(1 - b² - c² - d²),
     * or when that is below 1e-7 a 180° rotation with (b, c, d) normalised; the third column is negated
     * when qfac (pixdim[0]) is negative.
     */
    public static Affine quaternionToAffine(double[] q, double dx, double dy, double dz, double qfac) {
        double b = q[0];
        double c = q[1];
        double d = q[2];
        double a = 1.0 - (b * b + c * c + d * d);
        if (a < 1e-7) {
            a = 1.0 / Math.sqrt(b * b + c * c + d * d);
            b *= a;
            c *= a;
            d *= a;
            a = 0;
        } else {
            a = Math.sqrt(a);
        }
        double zd = qfac < 0 ? -dz : dz;
        return Affine.ofRows(
                new double[] {(a * a + b * b - c * c - d * d) * dx, 2 * (b * c - a * d) * dy, 2 * (b * d + a * c) * zd, q[3]},
                new double[] {2 * (b * c + a * d) * dx, (a * a + c * c - b * b - d * d) * dy, 2 * (c * d - a * b) * zd, q[4]},
                new double[] {2 * (b * d - a * c) * dx, 2 * (c * d + a * b) * dy, (a * a + d * d - c * c - b * b) * zd, q[5]});
    }

    /** pixdim[i] when positive, else 1 (as nifti1_io does for the quaternion and pixdim methods). */
    private double spacingOrOne(int i) {
        return pixdim[i] > 0 ? pixdim[i] : 1.0;
    }

    public int rank() {
        return rank;
    }

    public int nx() {
        return dims[0];
    }

    public int ny() {
        return dims[1];
    }

    public int nz() {
        return dims[2];
    }

    /** Size of voxel axis 0, 1 or 2. */
    public int dim(int axis) {
        return dims[axis];
    }

    public int[] dims() {
        return dims.clone();
    }

    public int voxelCount() {
        return dims[0] * dims[1] * dims[2];
    }

    /** Offset in the voxel array between neighbours along {@code axis}. */
    public int stride(int axis) {
        return axis == 0 ? 1 : axis == 1 ? dims[0] : dims[0] * dims[1];
    }

    public double[] pixdim() {
        return pixdim.clone();
    }

    public int qformCode() {
        return qformCode;
    }

    public double[] quatern() {
        return quatern.clone();
    }

    public int sformCode() {
        return sformCode;
    }

    public double[] srow() {
        return srow.clone();
    }

    public int xyztUnits() {
        return xyztUnits;
    }

    /** Voxel to world (mm) map. */
    public Affine affine() {
        return affine;
    }

    public AffineSource affineSource() {
        return affineSource;
    }

    /** Voxel spacing in mm along each axis, from the affine (for the pixdim method, pixdim itself). */
    public double spacing(int axis) {
        return affine.stepLength(axis);
    }

    public boolean sameShape(VolumeGeometry o) {
        return Arrays.equals(dims, o.dims);
    }

    /** "36x256x256". */
    public String shapeString() {
        return dims[0] + "x" + dims[1] + "x" + dims[2];
    }

    /**
     * Largest distance in mm between where this affine and {@code o}'s put the same voxel, over the eight
     * corners of this volume (an affine difference is largest at a corner).
     */
    public double maxCornerDistance(VolumeGeometry o) {
        double worst = 0;
        for (int corner = 0; corner < 8; corner++) {
            double i = (corner & 1) == 0 ? 0 : dims[0] - 1;
            double j = (corner & 2) == 0 ? 0 : dims[1] - 1;
            double k = (corner & 4) == 0 ? 0 : dims[2] - 1;
            double[] p = affine.apply(i, j, k);
            double[] q = o.affine.apply(i, j, k);
            worst = Math.max(worst, Math.sqrt(sq(p[0] - q[0]) + sq(p[1] - q[1]) + sq(p[2] - q[2])));
        }
        return worst;
    }

    private static double sq(double v) {
        return v * v;
    }

    @Override
    public String toString() {
        return shapeString() + " " + affineSource.name().toLowerCase() + " " + affine;
    }
}
