package org.visionserve.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MultiModalVolumeTest {

    private static final Affine AFFINE = Affine.ofRows(new double[] {0.1, 0.02, 1.99, -40},
            new double[] {1.24, 0.01, -0.1, 30}, new double[] {0.02, -1.25, 0.01, 12});

    private static Volume volume(int nx, int ny, int nz, Affine a) {
        return new Volume(VolumeGeometry.ofAffine(nx, ny, nz, a), new float[nx * ny * nz]);
    }

    private static Map<Modality, Volume> four() {
        Map<Modality, Volume> m = new EnumMap<>(Modality.class);
        for (Modality mod : Modality.values()) {
            m.put(mod, volume(6, 8, 4, AFFINE));
        }
        return m;
    }

    @Test
    void acceptsFourVolumesOnOneGridUpToFloatNoise() throws Exception {
        Map<Modality, Volume> m = four();
        // float32 rounding of the header: a few ulp on each entry
        m.put(Modality.OPP, volume(6, 8, 4, Affine.ofRows(new double[] {0.1f, 0.02f, 1.99f, -40.00001},
                new double[] {1.24f, 0.01f, -0.1f, 30.00002}, new double[] {0.02f, -1.25f, 0.01f, 12})));
        MultiModalVolume v = MultiModalVolume.of(m);
        assertThat(v.geometry().shapeString()).isEqualTo("6x8x4");
        assertThat(v.get(Modality.OPP)).isSameAs(m.get(Modality.OPP));
    }

    @Test
    void namesTheModalityWhoseShapeDiffers() {
        Map<Modality, Volume> m = four();
        m.put(Modality.WAT, volume(6, 8, 5, AFFINE));
        assertThatThrownBy(() -> MultiModalVolume.of(m)).isInstanceOf(ModalityMismatchException.class)
                .hasMessageContaining("modality wat (water) has shape 6x8x5 but fat has 6x8x4")
                .satisfies(e -> assertThat(((ModalityMismatchException) e).modality()).isEqualTo(Modality.WAT));
    }

    @Test
    void namesTheModalityWhoseAffineDiffersAndByHowMuch() {
        Map<Modality, Volume> m = four();
        m.put(Modality.INN, volume(6, 8, 4, Affine.ofRows(new double[] {0.1, 0.02, 1.99, -40},
                new double[] {1.24, 0.01, -0.1, 32.5}, new double[] {0.02, -1.25, 0.01, 12})));
        assertThatThrownBy(() -> MultiModalVolume.of(m)).isInstanceOf(ModalityMismatchException.class)
                .hasMessageContaining("modality inn (in-phase) is not co-registered with fat")
                .hasMessageContaining("2.50 mm apart (tolerance 0.0124 mm)")
                .satisfies(e -> assertThat(((ModalityMismatchException) e).modality()).isEqualTo(Modality.INN));
        // a rotation that moves the far corner by a fraction of a voxel is caught too
        m.put(Modality.INN, volume(6, 8, 4, Affine.ofRows(new double[] {0.1, 0.02, 1.99, -40},
                new double[] {1.24, 0.01, -0.09, 30}, new double[] {0.02, -1.25, 0.01, 12})));
        assertThatThrownBy(() -> MultiModalVolume.of(m)).hasMessageContaining("0.0300 mm apart");
    }

    @Test
    void requiresAllFourAndParsesTheirNames() {
        Map<Modality, Volume> m = four();
        m.remove(Modality.FAT);
        assertThatThrownBy(() -> MultiModalVolume.of(m)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fat");
        assertThat(Modality.parse("In-Phase")).isEqualTo(Modality.INN);
        assertThat(Modality.parse("opposed_phase")).isEqualTo(Modality.OPP);
        assertThat(Modality.parse("WAT")).isEqualTo(Modality.WAT);
        assertThat(Modality.parse("water")).isEqualTo(Modality.WAT);
        assertThatThrownBy(() -> Modality.parse("t2")).hasMessageContaining("expected fat, inn");
        assertThat(Modality.values()).extracting(Modality::channel).containsExactly(0, 1, 2, 3);
    }
}
