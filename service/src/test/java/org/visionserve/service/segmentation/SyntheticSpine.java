package org.visionserve.service.segmentation;

/**
 * A synthetic lumbar spine on an IVDM3Seg-like grid (36 x 256 x 256, 2 x 1.25 x 1.25 mm) with a
 * non-trivial affine: rotated (12° about x, 8° about z), voxel axis 2 pointing inferior, offset. Seven
 * discs are ellipsoids defined in world mm (semi-axes 20 LR x 16 AP x 5 SI, each tilted differently like a
 * lordotic spine), 34 mm apart along the spine; their analytic centres and volumes are known exactly.
 */
final class SyntheticSpine {

    static final int NX = 36;
    static final int NY = 256;
    static final int NZ = 256;
    static final double[] SEMI_AXES = {20, 16, 5};
    static final int DISCS = 7;

    final Affine affine;
    final VolumeGeometry geometry;
    /** centres[d] in world mm, d = 0 the cranial-most. */
    final double[][] centres = new double[DISCS][];
    /** per disc, the world-to-ellipsoid-frame rotation (rows = ellipsoid axes in world coordinates). */
    final double[][][] frames = new double[DISCS][][];

    SyntheticSpine() {
        this(NX, NY, NZ);
    }

    SyntheticSpine(int nx, int ny, int nz) {
        double[][] r = matmul(rotZ(Math.toRadians(8)), rotX(Math.toRadians(12)));
        double[] spacing = {2.0, 1.25, -1.25}; // axis 2 runs inferior
        double[][] lin = new double[3][3];
        for (int row = 0; row < 3; row++) {
            for (int c = 0; c < 3; c++) {
                lin[row][c] = r[row][c] * spacing[c];
            }
        }
        // place the volume's centre voxel at world (4, -22, 31)
        double[] centreVoxel = {(nx - 1) / 2.0, (ny - 1) / 2.0, (nz - 1) / 2.0};
        double[] target = {4, -22, 31};
        double[] t = new double[3];
        for (int row = 0; row < 3; row++) {
            t[row] = target[row] - (lin[row][0] * centreVoxel[0] + lin[row][1] * centreVoxel[1] + lin[row][2] * centreVoxel[2]);
        }
        affine = Affine.ofRows(new double[] {lin[0][0], lin[0][1], lin[0][2], t[0]},
                new double[] {lin[1][0], lin[1][1], lin[1][2], t[1]},
                new double[] {lin[2][0], lin[2][1], lin[2][2], t[2]});
        geometry = VolumeGeometry.ofAffine(nx, ny, nz, affine);
        for (int d = 0; d < DISCS; d++) {
            double s = (d - 3) * 34.0; // along the spine, cranial (+z) first
            double lordosis = 12 * Math.cos(s / 110.0);
            centres[d] = new double[] {target[0] + 1.5 * Math.sin(d), target[1] + lordosis - 6, target[2] - s};
            frames[d] = rotX(Math.toRadians(-20 + 6.5 * d)); // tilt in the sagittal plane
        }
    }

    /** Exact volume of one disc, mm³. */
    static double discVolume() {
        return 4.0 / 3.0 * Math.PI * SEMI_AXES[0] * SEMI_AXES[1] * SEMI_AXES[2];
    }

    /** Which disc (0-based) contains world point p, or -1. */
    int discAt(double[] p) {
        for (int d = 0; d < DISCS; d++) {
            double q = 0;
            for (int a = 0; a < 3; a++) {
                double u = frames[d][a][0] * (p[0] - centres[d][0]) + frames[d][a][1] * (p[1] - centres[d][1])
                        + frames[d][a][2] * (p[2] - centres[d][2]);
                q += (u / SEMI_AXES[a]) * (u / SEMI_AXES[a]);
            }
            if (q <= 1) {
                return d;
            }
        }
        return -1;
    }

    /** The mask rasterised at voxel centres: 1 inside a disc. */
    byte[] mask() {
        byte[] m = new byte[geometry.voxelCount()];
        int nx = geometry.nx();
        int ny = geometry.ny();
        for (int k = 0; k < geometry.nz(); k++) {
            for (int j = 0; j < ny; j++) {
                for (int i = 0; i < nx; i++) {
                    if (discAt(affine.apply(i, j, k)) >= 0) {
                        m[i + nx * (j + ny * k)] = 1;
                    }
                }
            }
        }
        return m;
    }

    /**
     * A plausible intensity image per modality on this grid (int16 range): a smooth body with deterministic
     * noise, and, for water, discs far brighter than anything else (so a threshold at half the range
     * recovers exactly {@code mask}); the other modalities have discs darker than the tissue.
     */
    float[] modality(Modality m, byte[] mask) {
        float[] out = new float[mask.length];
        int nx = geometry.nx();
        int ny = geometry.ny();
        long seed = 0x9e3779b97f4a7c15L * (m.ordinal() + 1);
        for (int v = 0; v < out.length; v++) {
            int k = v / (nx * ny);
            int j = (v / nx) % ny;
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            float noise = ((seed >>> 40) % 61) - 30; // -30 .. 30
            float body = 150 + 120 * (float) Math.sin(j / 40.0) * (float) Math.cos(k / 55.0) + (m == Modality.WAT ? 0 : 50 * m.ordinal()); // water body <= 340
            float disc = m == Modality.WAT ? 900 : 60;
            out[v] = (mask[v] != 0 ? disc : body) + noise + (m == Modality.WAT ? 40 : 0);
        }
        if (m == Modality.WAT) {
            out[0] = 0; // the range the min-max normalisation sees: 0 .. ~970
        }
        return out;
    }

    /** Disc d's analytic centroid in voxel coordinates. */
    double[] centreVoxel(int d) {
        return affine.inverse().apply(centres[d][0], centres[d][1], centres[d][2]);
    }

    static double[][] rotX(double a) {
        return new double[][] {{1, 0, 0}, {0, Math.cos(a), -Math.sin(a)}, {0, Math.sin(a), Math.cos(a)}};
    }

    static double[][] rotZ(double a) {
        return new double[][] {{Math.cos(a), -Math.sin(a), 0}, {Math.sin(a), Math.cos(a), 0}, {0, 0, 1}};
    }

    static double[][] matmul(double[][] a, double[][] b) {
        double[][] c = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 3; k++) {
                    c[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return c;
    }
}
