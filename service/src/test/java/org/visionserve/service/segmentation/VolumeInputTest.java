package org.visionserve.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
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
}
