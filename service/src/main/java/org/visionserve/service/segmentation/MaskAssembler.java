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
        int step = geometry.stride(plan.colAxis());
        for (int b = 0; b < n; b++) {
            int s = first + b;
            for (int r = 0; r < plan.rows(); r++) {
                int bg = base + ((b * 2) * h + r + plan.padTop()) * w + plan.padLeft();
                int fg = bg + h * w;
                int voxel = plan.voxelIndex(geometry, s, r, 0);
                for (int c = 0; c < plan.cols(); c++, voxel += step) {
                    float l0 = logits.get(bg + c);
                    float l1 = logits.get(fg + c);
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
