package org.visionserve.service.segmentation;

import java.nio.FloatBuffer;

/**
 * Produces the network's input batches {@code [n, 4, H, W]} (channels fat, inn, opp, wat) from a
 * {@link MultiModalVolume}, normalised on the fly (no normalised copy of the volume is kept).
 *
 * <p><b>Normalisation.</b> The reference feeds each modality in [0, 1]: it reads 8-bit PNG slices with
 * {@code ToTensor()}, i.e. x / 255. PNG inputs are therefore divided by their full scale (255, or 65535
 * for 16-bit). For NIfTI volumes, whose intensities have no fixed range, each modality is min-max scaled
 * over the whole volume to [0, 1] (what exporting a volume to full-range 8-bit PNGs does, without the
 * 8-bit rounding): (x - min) / (max - min), a constant volume giving 0. Non-finite voxels count as 0.
 */
public final class SliceBatcher {

    private final MultiModalVolume volume;
    private final SlicePlan plan;
    private final float[] offset = new float[4];
    private final float[] range = new float[4];

    public SliceBatcher(MultiModalVolume volume, SlicePlan plan) {
        this.volume = volume;
        this.plan = plan;
        for (Modality m : Modality.values()) {
            Volume v = volume.get(m);
            if (v.fullScale() > 0) {
                offset[m.channel()] = 0;
                range[m.channel()] = (float) v.fullScale();
            } else {
                float min = Float.POSITIVE_INFINITY;
                float max = Float.NEGATIVE_INFINITY;
                for (float x : v.data()) {
                    if (x < min) {
                        min = x; // NaN compares false and infinities are excluded below
                    }
                    if (x > max) {
                        max = x;
                    }
                }
                if (Float.isInfinite(min) || Float.isInfinite(max)) {
                    float[] r = finiteRange(v.data());
                    min = r[0];
                    max = r[1];
                }
                offset[m.channel()] = min;
                range[m.channel()] = max > min ? max - min : Float.POSITIVE_INFINITY; // constant -> 0
            }
        }
    }

    private static float[] finiteRange(float[] data) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float x : data) {
            if (Float.isFinite(x)) {
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
        }
        return min <= max ? new float[] {min, max} : new float[] {0, 0};
    }

    public SlicePlan plan() {
        return plan;
    }

    public int sliceCount() {
        return plan.slices();
    }

    public int floatsPerSlice() {
        return 4 * plan.netRows() * plan.netCols();
    }

    public long[] shape(int n) {
        return new long[] {n, 4, plan.netRows(), plan.netCols()};
    }

    /** The value channel {@code m} gets for a raw voxel value. */
    public float normalise(Modality m, float x) {
        // a division, as ToTensor's x / 255 (a multiplication by 1/255 differs in the last bit)
        float y = (x - offset[m.channel()]) / range[m.channel()];
        return y > 0 ? Math.min(y, 1f) : 0f; // also maps NaN to 0
    }

    /** Writes slices {@code first .. first + n - 1} as {@code [n, 4, H, W]} at {@code dst}'s position. */
    public void fill(int first, int n, FloatBuffer dst) {
        VolumeGeometry g = volume.geometry();
        int w = plan.netCols();
        float[] plane = new float[plan.netRows() * w]; // zero outside the slice: the padding
        int rowStep = g.stride(plan.rowAxis());
        int colStep = g.stride(plan.colAxis());
        for (int s = first; s < first + n; s++) {
            for (Modality m : Modality.values()) {
                float[] data = volume.get(m).data();
                // columns outer, rows inner: the row axis has the smaller stride in memory
                for (int c = 0; c < plan.cols(); c++) {
                    int voxel = plan.voxelIndex(g, s, 0, c);
                    int at = plan.padTop() * w + plan.padLeft() + c;
                    for (int r = 0; r < plan.rows(); r++, voxel += rowStep, at += w) {
                        plane[at] = normalise(m, data[voxel]);
                    }
                }
                dst.put(plane);
            }
        }
    }
}
