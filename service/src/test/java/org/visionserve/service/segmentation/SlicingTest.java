package org.visionserve.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.FloatBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.visionserve.service.segmentation.VolumeFormatException.Kind;

class SlicingTest {

    @Test
    void slicesIvdm3segLikeVolumesAlongTheTwoMillimetreLeftRightAxis() throws Exception {
        SyntheticSpine spine = new SyntheticSpine();
        SlicePlan plan = SlicePlan.of(spine.geometry, 256, 256);
        assertThat(plan).isEqualTo(new SlicePlan(0, 1, 2, 36, 256, 256, 256, 256, 0, 0));
    }

    @Test
    void findsTheLeftRightAxisWhereverItIsStored() throws Exception {
        // axis 2 runs left-right, axis 0 anterior-posterior, axis 1 inferior-superior
        VolumeGeometry g = VolumeGeometry.ofAffine(200, 250, 36, Affine.ofRows(new double[] {0, 0.1, 2, -30},
                new double[] {1.25, 0, 0, 10}, new double[] {0, 1.25, 0.1, 5}));
        SlicePlan plan = SlicePlan.of(g, 0, 0);
        assertThat(plan.sliceAxis()).isEqualTo(2);
        assertThat(plan.rowAxis()).isZero();
        assertThat(plan.colAxis()).isEqualTo(1);
        // dynamic model size: padded, centred, to the next multiples of 32
        assertThat(plan.netRows()).isEqualTo(224);
        assertThat(plan.netCols()).isEqualTo(256);
        assertThat(plan.padTop()).isEqualTo(12);
        assertThat(plan.padLeft()).isEqualTo(3);
        assertThat(plan.voxelIndex(g, 5, 7, 9)).isEqualTo(7 + 200 * (9 + 250 * 5));
    }

    @Test
    void refusesSlicesLargerThanAFixedModelInput() {
        VolumeGeometry g = VolumeGeometry.ofAffine(36, 320, 256, Affine.scaling(2, 1, 1));
        assertThatThrownBy(() -> SlicePlan.of(g, 256, 256)).isInstanceOf(VolumeFormatException.class)
                .hasMessageContaining("are 320x256, larger than the model's 256x256 input")
                .satisfies(e -> assertThat(((VolumeFormatException) e).kind()).isEqualTo(Kind.UNSUPPORTED));
        assertThatThrownBy(() -> SlicePlan.of(g, 250, 256)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void slicesASingleSliceVolumeAlongItsOneVoxelAxis() throws Exception {
        // a 2-D NIfTI (dim[0] = 2) has nz = 1 and a pixdim affine whose x axis has 256 voxels
        VolumeGeometry g = VolumeGeometry.ofAffine(256, 192, 1, Affine.scaling(1, 1, 1));
        SlicePlan plan = SlicePlan.of(g, 0, 0);
        assertThat(plan.sliceAxis()).isEqualTo(2);
        assertThat(plan.slices()).isEqualTo(1);
        assertThat(plan.rows()).isEqualTo(256);
        assertThat(plan.cols()).isEqualTo(192);
    }

    private static MultiModalVolume smallVolume(float[][] data, double fullScale) throws Exception {
        VolumeGeometry g = VolumeGeometry.ofAffine(3, 40, 50, Affine.scaling(2, 1.25, 1.25));
        return MultiModalVolume.of(Map.of(Modality.FAT, new Volume(g, data[0], fullScale),
                Modality.INN, new Volume(g, data[1], fullScale), Modality.OPP, new Volume(g, data[2], fullScale),
                Modality.WAT, new Volume(g, data[3], fullScale)));
    }

    private static float[][] ramps() {
        float[][] data = new float[4][3 * 40 * 50];
        for (int m = 0; m < 4; m++) {
            for (int v = 0; v < data[m].length; v++) {
                data[m][v] = 100 * m - 50 + (v % 997) * (m + 1);
            }
        }
        return data;
    }

    @Test
    void fillsChannelsInSpecOrderMinMaxNormalisedAndZeroPadded() throws Exception {
        float[][] data = ramps();
        data[1][17] = Float.NaN;
        data[2][18] = Float.POSITIVE_INFINITY;
        MultiModalVolume volume = smallVolume(data, 0);
        SlicePlan plan = SlicePlan.of(volume.geometry(), 0, 0);
        assertThat(plan).isEqualTo(new SlicePlan(0, 1, 2, 3, 40, 50, 64, 64, 12, 7));
        SliceBatcher batcher = new SliceBatcher(volume, plan);
        FloatBuffer buf = FloatBuffer.allocate(2 * batcher.floatsPerSlice());
        batcher.fill(1, 2, buf);
        assertThat(buf.position()).isEqualTo(2 * 4 * 64 * 64);
        assertThat(batcher.shape(2)).containsExactly(2, 4, 64, 64);
        for (int m = 0; m < 4; m++) {
            double min = 100 * m - 50;
            double max = 100 * m - 50 + 996 * (m + 1);
            for (int b = 0; b < 2; b++) {
                for (int r = 0; r < 64; r++) {
                    for (int c = 0; c < 64; c++) {
                        float got = buf.get(((b * 4 + m) * 64 + r) * 64 + c);
                        int vr = r - 12;
                        int vc = c - 7;
                        if (vr < 0 || vr >= 40 || vc < 0 || vc >= 50) {
                            assertThat(got).isZero();
                            continue;
                        }
                        int voxel = (1 + b) + 3 * (vr + 40 * vc);
                        float x = data[m][voxel];
                        float expected = Float.isFinite(x) ? (float) ((x - min) / (max - min)) : 0f;
                        assertThat(got).as("m %d b %d r %d c %d", m, b, r, c).isCloseTo(expected, within(1e-6f));
                    }
                }
            }
        }
    }

    @Test
    void pngSourcesAreScaledByTheirFullScaleAsToTensorDoes() throws Exception {
        float[][] data = ramps();
        MultiModalVolume volume = smallVolume(data, 255);
        SliceBatcher batcher = new SliceBatcher(volume, SlicePlan.of(volume.geometry(), 0, 0));
        assertThat(batcher.normalise(Modality.FAT, 51)).isEqualTo(51 / 255f);
        assertThat(batcher.normalise(Modality.WAT, 255)).isEqualTo(1f);
        assertThat(batcher.normalise(Modality.WAT, 300)).isEqualTo(1f);
    }

    @Test
    void segmenterMapsTheArgmaxAndProbabilityBackOntoTheGrid() throws Exception {
        float[][] data = ramps();
        MultiModalVolume volume = smallVolume(data, 0);
        // a model computed here in Java: disc logit = 8 * (water - 0.5), background 0
        SliceModel model = (batch, shape) -> {
            int n = (int) shape[0];
            int hw = (int) (shape[2] * shape[3]);
            FloatBuffer out = FloatBuffer.allocate(n * 2 * hw);
            for (int b = 0; b < n; b++) {
                for (int p = 0; p < hw; p++) {
                    out.put((b * 2) * hw + p, 0f);
                    out.put((b * 2 + 1) * hw + p, 8 * (batch.get((b * 4 + 3) * hw + p) - 0.5f));
                }
            }
            return out;
        };
        VolumeSegmenter.Result result = new VolumeSegmenter(0, 0, 2).segment(volume, model);
        assertThat(result.batches()).isEqualTo(2); // 3 slices in batches of 2
        SliceBatcher batcher = new SliceBatcher(volume, result.plan());
        byte[] mask = result.mask().mask();
        float[] prob = result.mask().probability();
        for (int v = 0; v < mask.length; v++) {
            float w = batcher.normalise(Modality.WAT, data[3][v]);
            assertThat(mask[v]).as("voxel %d", v).isEqualTo((byte) (w > 0.5f ? 1 : 0));
            assertThat(prob[v]).isCloseTo((float) (1 / (1 + Math.exp(-8 * (w - 0.5)))), within(1e-5f));
        }
        assertThat(result.mask().foregroundCount()).isBetween(1L, (long) mask.length - 1);
    }

    @Test
    void aTieGoesToBackground() {
        VolumeGeometry g = VolumeGeometry.ofAffine(1, 1, 2, Affine.scaling(1, 1, 1));
        SlicePlan plan = new SlicePlan(0, 1, 2, 1, 1, 2, 1, 2, 0, 0);
        MaskAssembler a = new MaskAssembler(g, plan, true);
        a.accept(0, 1, FloatBuffer.wrap(new float[] {1f, 0f, 1f, 0.5f}));
        // layout [1, 2, 1, 2]: voxel 0 has logits (1, 1), a tie; voxel 1 has (0, 0.5)
        assertThat(a.result().mask()).containsExactly(0, 1);
        assertThat(a.result().probability()).containsExactly(0.5f, (float) (1 / (1 + Math.exp(-0.5))));
    }
}
