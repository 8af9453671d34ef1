package org.visionserve.service.segmentation;

import java.nio.FloatBuffer;

/**
 * Puts the network's logits {@code [n, 2, H, W]} back onto the volume grid: the padding is cut off, the
 * mask is the argmax over the two classes (a tie goes to background, as torch.argmax takes the first
 * maximum) and the disc probability is softmax(logits)[1] = 1 / (1 + exp(l0 - l1)).
 */
public final class MaskAssembler {

    private final VolumeGeometry geometry;
    private final SlicePlan plan;
    private final byte[] mask;
    private final float[] probability;

    public MaskAssembler(VolumeGeometry geometry, SlicePlan plan, boolean keepProbability) {
        this.geometry = geometry;
        this.plan = plan;
        this.mask = new byte[geometry.voxelCount()];
        this.probability = keepProbability ? new float[geometry.voxelCount()] : null;
    }

    /** Takes the logits of slices {@code first .. first + n - 1}, read from {@code logits}' position on. */
    public void accept(int first, int n, FloatBuffer logits) {
        int h = plan.netRows();
        int w = plan.netCols();
        int base = logits.position();
        int rowStep = geometry.stride(plan.rowAxis());
        for (int b = 0; b < n; b++) {
            int s = first + b;
            // columns outer, rows inner: the row axis has the smaller stride in the volume
            for (int c = 0; c < plan.cols(); c++) {
                int bg = base + (b * 2) * h * w + plan.padTop() * w + plan.padLeft() + c;
                int voxel = plan.voxelIndex(geometry, s, 0, c);
                for (int r = 0; r < plan.rows(); r++, voxel += rowStep, bg += w) {
                    float l0 = logits.get(bg);
                    float l1 = logits.get(bg + h * w);
                    mask[voxel] = (byte) (l1 > l0 ? 1 : 0);
                    if (probability != null) {
                        probability[voxel] = (float) (1.0 / (1.0 + Math.exp((double) l0 - l1)));
                    }
                }
            }
        }
    }

    public VolumeMask result() {
        return new VolumeMask(geometry, mask, probability);
    }
}
