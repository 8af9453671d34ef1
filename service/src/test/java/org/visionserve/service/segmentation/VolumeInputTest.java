package org.visionserve.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.visionserve.service.segmentation.nifti.NiftiDatatype;
import org.visionserve.service.segmentation.nifti.NiftiFormatException;
import org.visionserve.service.segmentation.nifti.NiftiWriter;

class VolumeInputTest {

    @Test
    void tellsPngFromNiftiByContent() throws Exception {
        Volume png = VolumeInput.read(new ByteArrayInputStream(PngSlicesTest.grey(32, 16, false, 0)), VolumeLimits.DEFAULT);
        assertThat(png.fullScale()).isEqualTo(255);
        assertThat(png.geometry().dims()).containsExactly(1, 16, 32);
        VolumeGeometry g = VolumeGeometry.ofAffine(3, 4, 5, Affine.scaling(2, 1.25, 1.25));
        float[] data = new float[60];
        data[7] = 42;
        for (boolean gzip : new boolean[] {false, true}) {
            Volume nii = VolumeInput.read(new ByteArrayInputStream(NiftiWriter.write(g, data, NiftiDatatype.INT16, gzip)),
                    VolumeLimits.DEFAULT);
            assertThat(nii.fullScale()).isZero();
            assertThat(nii.data()[7]).isEqualTo(42f);
        }
        assertThatThrownBy(() -> VolumeInput.read(new ByteArrayInputStream("%PDF-1.4".getBytes()), VolumeLimits.DEFAULT))
                .isInstanceOf(NiftiFormatException.class).hasMessageContaining("not a NIfTI file");
        byte[] bigPng = PngSlicesTest.grey(200, 200, true, 0);
        assertThatThrownBy(() -> VolumeInput.read(new ByteArrayInputStream(bigPng), new VolumeLimits(1000, 1 << 20)))
                .isInstanceOf(VolumeFormatException.class).hasMessageContaining(VolumeLimits.MAX_BYTES_KEY);
    }

    /** The header alone is read: a file whose data is cut short (or missing) is still measured. */
    @Test
    void probeMeasuresFromTheHeaderAlone() throws Exception {
        VolumeGeometry g = VolumeGeometry.ofAffine(8, 64, 48, Affine.scaling(2, 1.25, 1.25));
        float[] data = new float[g.voxelCount()];
        java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < data.length; i++) {
            data[i] = random.nextInt(1000);
        }
        byte[] gz = NiftiWriter.write(g, data, NiftiDatatype.INT16, true);
        byte[] cut = Arrays.copyOf(gz, gz.length / 2); // the header is at the start of the inflated stream
        VolumeInput.Header h = VolumeInput.probe(new ByteArrayInputStream(cut), VolumeLimits.DEFAULT);
        assertThat(h.png()).isFalse();
        assertThat(h.geometry().dims()).containsExactly(8, 64, 48);
        assertThat(h.geometry().maxCornerDistance(g)).isLessThan(1e-6);
        assertThat(h.decodeBytes()).isZero();
        assertThatThrownBy(() -> VolumeInput.read(new ByteArrayInputStream(cut), VolumeLimits.DEFAULT))
                .isInstanceOf(VolumeFormatException.class);

        // over the voxel limit: refused from the header, with no data behind it at all
        byte[] header = Arrays.copyOf(NiftiWriter.write(g, new float[g.voxelCount()], NiftiDatatype.INT16, false), 352);
        assertThatThrownBy(() -> VolumeInput.probe(new ByteArrayInputStream(header), new VolumeLimits(1 << 20, 1000)))
                .isInstanceOf(VolumeFormatException.class).hasMessageContaining(VolumeLimits.MAX_VOXELS_KEY)
                .extracting(e -> ((VolumeFormatException) e).kind()).isEqualTo(VolumeFormatException.Kind.TOO_LARGE);

        byte[] png = PngSlicesTest.grey(40, 24, true, 1);
        VolumeInput.Header p = VolumeInput.probe(new ByteArrayInputStream(png), VolumeLimits.DEFAULT);
        assertThat(p.png()).isTrue();
        assertThat(p.geometry().dims()).containsExactly(1, 24, 40);
        assertThat(p.decodeBytes()).isEqualTo(2L * png.length + 2 * 40 * 24);
        assertThatThrownBy(() -> VolumeInput.probe(new ByteArrayInputStream(png), new VolumeLimits(png.length - 1, 1 << 20)))
                .isInstanceOf(VolumeFormatException.class).hasMessageContaining(VolumeLimits.MAX_BYTES_KEY);
        // the IHDR chunk is enough to measure a PNG: its pixel data need not be there
        VolumeInput.Header head = VolumeInput.probe(new ByteArrayInputStream(Arrays.copyOf(png, 33)), VolumeLimits.DEFAULT);
        assertThat(head.geometry().dims()).containsExactly(1, 24, 40);
    }

    /** Decoding runs the checkpoint per chunk of voxel data: a request that ends stops it there. */
    @Test
    void decodingStopsAtTheCheckpoint() throws Exception {
        VolumeGeometry g = VolumeGeometry.ofAffine(8, 64, 64, Affine.scaling(2, 1.25, 1.25)); // 128 KiB of float32
        for (boolean gzip : new boolean[] {false, true}) {
            byte[] file = NiftiWriter.write(g, new float[g.voxelCount()], NiftiDatatype.FLOAT32, gzip);
            int[] checks = {0};
            assertThatThrownBy(() -> VolumeInput.read(new ByteArrayInputStream(file), VolumeLimits.DEFAULT, () -> {
                if (++checks[0] == 2) {
                    throw new IllegalStateException("stopped");
                }
            })).isInstanceOf(IllegalStateException.class).hasMessage("stopped");
            assertThat(checks[0]).isEqualTo(2);
            int[] all = {0};
            VolumeInput.read(new ByteArrayInputStream(file), VolumeLimits.DEFAULT, () -> all[0]++);
            assertThat(all[0]).as("checkpoints of a whole read").isGreaterThan(2);
        }
    }
}
