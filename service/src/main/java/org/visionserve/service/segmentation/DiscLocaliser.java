package org.visionserve.service.segmentation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Finds the discs in a binary mask: 3-D connected components, those under a minimum volume dropped, the
 * rest ordered along the spine and labelled.
 *
 * <p><b>26-connectivity</b> (faces, edges and corners): the sagittal slices are thick (2 mm vs 1.25 mm in
 * plane) and discs are thin, tilted plates, so one disc's voxels in neighbouring slices often touch only
 * along an edge or a corner; 6-connectivity would split such a disc into fragments. Neighbouring discs are
 * separated by a vertebral body (~2 cm), far more than one voxel, so 26-connectivity does not merge them.
 *
 * <p><b>Order</b>: by the centroid's world superior coordinate (NIfTI's RAS+ z), descending: position 1 is
 * the cranial-most disc. Labels count from the caudal end: the caudal-most disc is L5-S1, then L4-L5,
 * ..., T11-T12 (IVDM3Seg's 7 discs), and further up T10-T11 ... .
 */
public final class DiscLocaliser {

    /** Intervertebral levels from the caudal end up. */
    static final List<String> LEVELS_FROM_CAUDAL;

    static {
        List<String> levels = new ArrayList<>(List.of("L5-S1", "L4-L5", "L3-L4", "L2-L3", "L1-L2", "T12-L1"));
        for (int t = 12; t > 1; t--) {
            levels.add("T" + (t - 1) + "-T" + t);
        }
        levels.add("C7-T1");
        for (int c = 7; c > 2; c--) {
            levels.add("C" + (c - 1) + "-C" + c);
        }
        LEVELS_FROM_CAUDAL = List.copyOf(levels);
    }

    private final double minVolumeMm3;

    public DiscLocaliser(double minVolumeMm3) {
        this.minVolumeMm3 = minVolumeMm3;
    }

    private static final class Component {
        final int id;
        long count;
        double si;
        double sj;
        double sk;
        double sumProbability;
        final int[] min = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE};
        final int[] max = {-1, -1, -1};
        double superior;

        Component(int id) {
            this.id = id;
        }
    }

    /** Components of {@code mask} (non-zero = foreground) on {@code geometry}; probability may be null. */
    public DiscAnalysis locate(VolumeGeometry geometry, byte[] mask, float[] probability) {
        return locate(geometry, mask, probability, () -> { });
    }

    /** As {@link #locate(VolumeGeometry, byte[], float[])}, running {@code checkpoint} every 64 Ki voxels looked at. */
    public DiscAnalysis locate(VolumeGeometry geometry, byte[] mask, float[] probability, Runnable checkpoint) {
        int nx = geometry.nx();
        int ny = geometry.ny();
        int nz = geometry.nz();
        int nxy = nx * ny;
        Affine affine = geometry.affine();
        double voxelVolume = affine.voxelVolume();
        int[] labels = new int[mask.length];
        int[] queue = new int[1024];
        List<Component> kept = new ArrayList<>();
        int dropped = 0;
        for (int start = 0; start < mask.length; start++) {
            if ((start & 0xffff) == 0) {
                checkpoint.run();
            }
            if (mask[start] == 0 || labels[start] != 0) {
                continue;
            }
            Component comp = new Component(kept.size() + 1);
            labels[start] = comp.id;
            queue[0] = start;
            int head = 0;
            int tail = 1;
            while (head < tail) {
                if ((head & 0xffff) == 0xffff) {
                    checkpoint.run(); // one component can span the whole volume
                }
                int v = queue[head++];
                int k = v / nxy;
                int rem = v - k * nxy;
                int j = rem / nx;
                int i = rem - j * nx;
                comp.count++;
                comp.si += i;
                comp.sj += j;
                comp.sk += k;
                if (probability != null) {
                    comp.sumProbability += probability[v];
                }
                comp.min[0] = Math.min(comp.min[0], i);
                comp.min[1] = Math.min(comp.min[1], j);
                comp.min[2] = Math.min(comp.min[2], k);
                comp.max[0] = Math.max(comp.max[0], i);
                comp.max[1] = Math.max(comp.max[1], j);
                comp.max[2] = Math.max(comp.max[2], k);
                for (int dk = -1; dk <= 1; dk++) {
                    int kk = k + dk;
                    if (kk < 0 || kk >= nz) {
                        continue;
                    }
                    for (int dj = -1; dj <= 1; dj++) {
                        int jj = j + dj;
                        if (jj < 0 || jj >= ny) {
                            continue;
                        }
                        for (int di = -1; di <= 1; di++) {
                            int ii = i + di;
                            if (ii < 0 || ii >= nx) {
                                continue;
                            }
                            int u = ii + nx * jj + nxy * kk;
                            if (mask[u] != 0 && labels[u] == 0) {
                                labels[u] = comp.id;
                                if (tail == queue.length) {
                                    queue = java.util.Arrays.copyOf(queue, Math.min(mask.length, queue.length * 2));
                                }
                                queue[tail++] = u;
                            }
                        }
                    }
                }
            }
            if (comp.count * voxelVolume < minVolumeMm3) {
                for (int q = 0; q < tail; q++) {
                    labels[queue[q]] = -1; // every visited voxel is still in the queue array
                }
                dropped++;
            } else {
                double[] c = {comp.si / comp.count, comp.sj / comp.count, comp.sk / comp.count};
                comp.superior = affine.apply(c[0], c[1], c[2])[2];
                kept.add(comp);
            }
        }
        kept.sort(Comparator.comparingDouble((Component c) -> -c.superior));
        int[] positionOf = new int[kept.size() + 1];
        List<Disc> discs = new ArrayList<>(kept.size());
        for (int p = 0; p < kept.size(); p++) {
            Component c = kept.get(p);
            positionOf[c.id] = p + 1;
            double[] centroid = {c.si / c.count, c.sj / c.count, c.sk / c.count};
            int fromCaudal = kept.size() - 1 - p;
            String label = fromCaudal < LEVELS_FROM_CAUDAL.size() ? LEVELS_FROM_CAUDAL.get(fromCaudal) : "disc " + (p + 1);
            discs.add(new Disc(p + 1, label, c.count, c.count * voxelVolume, centroid,
                    affine.apply(centroid[0], centroid[1], centroid[2]), c.min.clone(), c.max.clone(),
                    probability != null ? c.sumProbability / c.count : Double.NaN));
        }
        for (int v = 0; v < labels.length; v++) {
            if (labels[v] > 0) {
                labels[v] = positionOf[labels[v]];
            }
        }
        return new DiscAnalysis(List.copyOf(discs), labels, dropped, affine.axisClosestTo(2));
    }
}
