package org.visionserve.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class DiscLocaliserTest {

    @Test
    void findsEllipsoidDiscsWithAnalyticCentroidsAndVolumes() {
        SyntheticSpine spine = new SyntheticSpine();
        byte[] mask = spine.mask();
        float[] probability = new float[mask.length];
        for (int v = 0; v < mask.length; v++) {
            probability[v] = mask[v] != 0 ? 0.8f : 0.1f;
        }
        // a speck of 3 voxels (under 100 mm³) far from the discs is dropped
        int nx = SyntheticSpine.NX;
        int ny = SyntheticSpine.NY;
        for (int i = 0; i < 3; i++) {
            mask[i + nx * (5 + ny * 5)] = 1;
        }
        long t0 = System.nanoTime();
        DiscAnalysis result = new DiscLocaliser(100).locate(spine.geometry, mask, probability);
        System.out.printf("components on 36x256x256: %.1f ms%n", (System.nanoTime() - t0) / 1e6);

        List<Disc> discs = result.discs();
        assertThat(discs).hasSize(SyntheticSpine.DISCS);
        assertThat(result.componentsDropped()).isEqualTo(1);
        assertThat(result.labels()[nx * (5 + ny * 5)]).isEqualTo(-1);
        assertThat(discs).extracting(Disc::label)
                .containsExactly("T11-T12", "T12-L1", "L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1");
        // axis 2 points inferior: the world-z order is the reverse of the voxel-k order
        assertThat(result.craniocaudalAxis()).isEqualTo(2);
        double voxelVolume = spine.affine.voxelVolume();
        assertThat(voxelVolume).isCloseTo(2.0 * 1.25 * 1.25, within(1e-9));
        for (int d = 0; d < SyntheticSpine.DISCS; d++) {
            Disc disc = discs.get(d);
            double[] expected = spine.centreVoxel(d);
            System.out.printf("disc %d %s: %d voxels, %.1f mm³ (analytic %.1f), centroid voxel %s vs %s%n",
                    disc.position(), disc.label(), disc.voxels(), disc.volumeMm3(), SyntheticSpine.discVolume(),
                    java.util.Arrays.toString(disc.centroidVoxel()), java.util.Arrays.toString(expected));
            assertThat(disc.position()).isEqualTo(d + 1);
            for (int a = 0; a < 3; a++) {
                assertThat(disc.centroidVoxel()[a]).as("disc %d axis %d", d, a).isCloseTo(expected[a], within(0.5));
                // the mm centroid is the affine image of the voxel centroid, and near the analytic centre
                assertThat(disc.centroidMm()[a]).isCloseTo(spine.centres[d][a], within(0.5 * 2.0));
            }
            double[] viaAffine = spine.affine.apply(disc.centroidVoxel()[0], disc.centroidVoxel()[1], disc.centroidVoxel()[2]);
            assertThat(disc.centroidMm()).containsExactly(viaAffine, within(1e-9));
            assertThat(disc.volumeMm3()).isCloseTo(SyntheticSpine.discVolume(), within(0.02 * SyntheticSpine.discVolume()));
            assertThat(disc.volumeMm3()).isEqualTo(disc.voxels() * voxelVolume);
            assertThat(disc.meanProbability()).isCloseTo(0.8, within(1e-6));
            // the bounding box holds the centroid and every voxel labelled with this disc
            for (int a = 0; a < 3; a++) {
                assertThat(disc.centroidVoxel()[a]).isBetween((double) disc.boundingBoxMin()[a], (double) disc.boundingBoxMax()[a]);
            }
        }
        int[] labels = result.labels();
        for (int k = 0; k < SyntheticSpine.NZ; k++) {
            for (int j = 0; j < ny; j++) {
                for (int i = 0; i < nx; i++) {
                    int l = labels[i + nx * (j + ny * k)];
                    if (l > 0) {
                        Disc disc = discs.get(l - 1);
                        assertThat(i >= disc.boundingBoxMin()[0] && i <= disc.boundingBoxMax()[0]
                                && j >= disc.boundingBoxMin()[1] && j <= disc.boundingBoxMax()[1]
                                && k >= disc.boundingBoxMin()[2] && k <= disc.boundingBoxMax()[2]).isTrue();
                    }
                }
            }
        }
    }

    @Test
    void usesTwentySixConnectivity() {
        VolumeGeometry g = VolumeGeometry.ofAffine(5, 5, 5, Affine.scaling(1, 1, 1));
        byte[] mask = new byte[125];
        mask[idx(1, 1, 1)] = 1;
        mask[idx(2, 2, 2)] = 1; // corner contact only
        mask[idx(4, 4, 0)] = 1; // isolated
        DiscAnalysis a = new DiscLocaliser(0).locate(g, mask, null);
        assertThat(a.discs()).hasSize(2);
        assertThat(a.discs()).extracting(Disc::voxels).containsExactlyInAnyOrder(2L, 1L);
        assertThat(a.discs().get(0).meanProbability()).isNaN();
        // the disc at k = 2 is superior to the one at k = 0 (pixdim-style affine: z grows with k)
        assertThat(a.discs().get(0).voxels()).isEqualTo(2);
        assertThat(a.discs().get(0).boundingBoxMin()).containsExactly(1, 1, 1);
        assertThat(a.discs().get(0).boundingBoxMax()).containsExactly(2, 2, 2);
        assertThat(new DiscLocaliser(1.5).locate(g, mask, null).discs()).hasSize(1);
    }

    @Test
    void labelsMoreDiscsThanSevenUpTheSpineAndEmptyMasksGiveNone() {
        VolumeGeometry g = VolumeGeometry.ofAffine(1, 1, 40, Affine.scaling(1, 1, 1));
        byte[] mask = new byte[40];
        for (int k = 0; k < 40; k += 4) {
            mask[k] = 1; // 10 discs
        }
        List<Disc> discs = new DiscLocaliser(0).locate(g, mask, null).discs();
        assertThat(discs).extracting(Disc::label).containsExactly("T8-T9", "T9-T10", "T10-T11", "T11-T12",
                "T12-L1", "L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1");
        assertThat(new DiscLocaliser(0).locate(g, new byte[40], null).discs()).isEmpty();
    }

    private static int idx(int i, int j, int k) {
        return i + 5 * (j + 5 * k);
    }
}
