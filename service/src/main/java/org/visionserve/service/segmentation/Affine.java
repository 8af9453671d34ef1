package org.visionserve.service.segmentation;

import java.util.Arrays;

/**
 * A voxel-to-world affine: world (mm, NIfTI RAS+ scanner/patient space) = M * (i, j, k, 1). Stored as
 * the top three rows of the 4x4 matrix; the last row is always (0, 0, 0, 1).
 */
public final class Affine {

    private final double[] m; // row-major 3x4

    private Affine(double[] m) {
        this.m = m;
    }

    /** From the three rows {@code srow_x, srow_y, srow_z} (4 values each), as in a NIfTI header. */
    public static Affine ofRows(double[] rowX, double[] rowY, double[] rowZ) {
        double[] m = new double[12];
        System.arraycopy(rowX, 0, m, 0, 4);
        System.arraycopy(rowY, 0, m, 4, 4);
        System.arraycopy(rowZ, 0, m, 8, 4);
        return new Affine(m);
    }

    /** From a 3x4 or 4x4 row-major matrix. */
    public static Affine of(double[][] rows) {
        return ofRows(rows[0], rows[1], rows[2]);
    }

    public static Affine scaling(double sx, double sy, double sz) {
        return new Affine(new double[] {sx, 0, 0, 0, 0, sy, 0, 0, 0, 0, sz, 0});
    }

    public double get(int row, int col) {
        if (row == 3) {
            return col == 3 ? 1 : 0;
        }
        return m[row * 4 + col];
    }

    /** The full 4x4 matrix, row-major. */
    public double[][] toMatrix() {
        double[][] out = new double[4][4];
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                out[r][c] = get(r, c);
            }
        }
        return out;
    }

    /** World coordinates (mm) of the (possibly fractional) voxel position (i, j, k). */
    public double[] apply(double i, double j, double k) {
        return new double[] {
            m[0] * i + m[1] * j + m[2] * k + m[3],
            m[4] * i + m[5] * j + m[6] * k + m[7],
            m[8] * i + m[9] * j + m[10] * k + m[11]};
    }

    /** Determinant of the 3x3 linear part; its absolute value is the volume of one voxel in mm³. */
    public double determinant() {
        return m[0] * (m[5] * m[10] - m[6] * m[9])
                - m[1] * (m[4] * m[10] - m[6] * m[8])
                + m[2] * (m[4] * m[9] - m[5] * m[8]);
    }

    public double voxelVolume() {
        return Math.abs(determinant());
    }

    /** The inverse map, world mm to voxel coordinates. */
    public Affine inverse() {
        double det = determinant();
        if (det == 0 || !Double.isFinite(det)) {
            throw new ArithmeticException("singular affine");
        }
        double[] inv = new double[12];
        inv[0] = (m[5] * m[10] - m[6] * m[9]) / det;
        inv[1] = (m[2] * m[9] - m[1] * m[10]) / det;
        inv[2] = (m[1] * m[6] - m[2] * m[5]) / det;
        inv[4] = (m[6] * m[8] - m[4] * m[10]) / det;
        inv[5] = (m[0] * m[10] - m[2] * m[8]) / det;
        inv[6] = (m[2] * m[4] - m[0] * m[6]) / det;
        inv[8] = (m[4] * m[9] - m[5] * m[8]) / det;
        inv[9] = (m[1] * m[8] - m[0] * m[9]) / det;
        inv[10] = (m[0] * m[5] - m[1] * m[4]) / det;
        for (int r = 0; r < 3; r++) {
            inv[r * 4 + 3] = -(inv[r * 4] * m[3] + inv[r * 4 + 1] * m[7] + inv[r * 4 + 2] * m[11]);
        }
        return new Affine(inv);
    }

    /** Length in mm of one step along voxel axis {@code axis} (0, 1, 2). */
    public double stepLength(int axis) {
        return Math.sqrt(m[axis] * m[axis] + m[4 + axis] * m[4 + axis] + m[8 + axis] * m[8 + axis]);
    }

    /** Component of voxel axis {@code axis}'s unit direction along world axis {@code world} (0 = x/R, 1 = y/A, 2 = z/S). */
    public double direction(int axis, int world) {
        return m[world * 4 + axis] / stepLength(axis);
    }

    /**
     * The voxel axis whose direction is closest to world axis {@code world} (largest |cosine|), among the
     * voxel axes not in {@code exclude}; ties go to the lower index.
     */
    public int axisClosestTo(int world, int... exclude) {
        int best = -1;
        double bestCos = -1;
        outer:
        for (int a = 0; a < 3; a++) {
            for (int e : exclude) {
                if (e == a) {
                    continue outer;
                }
            }
            double c = Math.abs(direction(a, world));
            if (c > bestCos) {
                bestCos = c;
                best = a;
            }
        }
        return best;
    }

    public boolean isFinite() {
        for (double v : m) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("[");
        for (int r = 0; r < 3; r++) {
            s.append(r == 0 ? "[" : ", [");
            for (int c = 0; c < 4; c++) {
                s.append(c == 0 ? "" : ", ").append(String.format("%.4g", m[r * 4 + c]));
            }
            s.append(']');
        }
        return s.append(", [0, 0, 0, 1]]").toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Affine a && Arrays.equals(m, a.m);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(m);
    }
}
