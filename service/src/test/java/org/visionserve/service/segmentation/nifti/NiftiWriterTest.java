package org.visionserve.service.segmentation.nifti;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.visionserve.service.segmentation.Affine;
import org.visionserve.service.segmentation.Volume;
import org.visionserve.service.segmentation.VolumeGeometry;
import org.visionserve.service.segmentation.VolumeLimits;

class NiftiWriterTest {

    private final NiftiReader reader = new NiftiReader(VolumeLimits.DEFAULT);

    /** An oblique, anisotropic, offset geometry given by both a qform and a (different-coded) sform. */
    private static VolumeGeometry obliqueGeometry() throws Exception {
        NiftiBuilder b = NiftiBuilder.nifti2();
        b.order = ByteOrder.BIG_ENDIAN;
        b.dim = new long[] {3, 7, 9, 5, 1, 1, 1, 1};
        b.pixdim = new double[] {-1, 2.0, 1.25, 1.3, 0.8, 0, 0, 0};
        b.qformCode = 1;
        double half = Math.toRadians(12) / 2;
        b.quatern = new double[] {Math.sin(half) * 0.6, 0, Math.sin(half) * 0.8, -91.5, 120.25, -33};
        b.sformCode = 2;
        b.srow = new double[] {1.98, 0.1, -0.2, -90, -0.1, 1.24, 0.05, 121, 0.3, -0.02, -1.29, -30};
        return new NiftiReader(VolumeLimits.DEFAULT).read(b.build()).geometry();
    }

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {false, true})
    void maskGeometrySurvivesReaderOfWriter(boolean gzip) throws Exception {
        VolumeGeometry g = obliqueGeometry();
        byte[] mask = new byte[g.voxelCount()];
        for (int v = 0; v < mask.length; v++) {
            mask[v] = (byte) (v % 3 == 0 ? 1 : 0);
        }
        byte[] file = NiftiWriter.writeMask(g, mask, gzip);
        assertThat(file[0] == 0x1f && file[1] == (byte) 0x8b).isEqualTo(gzip);
        Volume back = reader.read(file);
        VolumeGeometry r = back.geometry();
        assertThat(r.dims()).containsExactly(g.dims());
        assertThat(r.rank()).isEqualTo(g.rank());
        assertThat(r.qformCode()).isEqualTo(1);
        assertThat(r.sformCode()).isEqualTo(2);
        assertThat(r.xyztUnits()).isEqualTo(g.xyztUnits());
        for (int i = 0; i < 8; i++) {
            assertThat(r.pixdim()[i]).isEqualTo((float) g.pixdim()[i]);
        }
        for (int i = 0; i < 6; i++) {
            assertThat(r.quatern()[i]).isEqualTo((float) g.quatern()[i]);
        }
        assertClose(r.affine(), g.affine(), 1e-5);
        assertThat(r.maxCornerDistance(g)).isLessThan(1e-4);
        // the qform survives too: same matrix when read without the sform
        VolumeGeometry qOnly = new VolumeGeometry(r.rank(), r.dims(), r.pixdim(), r.qformCode(), r.quatern(), 0,
                r.srow(), r.xyztUnits());
        VolumeGeometry gqOnly = new VolumeGeometry(g.rank(), g.dims(), g.pixdim(), g.qformCode(), g.quatern(), 0,
                g.srow(), g.xyztUnits());
        assertClose(qOnly.affine(), gqOnly.affine(), 1e-5);
        assertThat(qOnly.affine().get(2, 2)).as("qfac -1 kept").isNegative();
        for (int v = 0; v < mask.length; v++) {
            assertThat(back.data()[v]).isEqualTo(mask[v]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"UINT8", "INT16", "UINT16", "INT32", "FLOAT32", "FLOAT64"})
    void writesVolumesOfEachTypeThatReadBack(String typeName) throws Exception {
        NiftiDatatype type = NiftiDatatype.valueOf(typeName);
        Affine affine = Affine.ofRows(new double[] {0, 0, -1.25, 100}, new double[] {2, 0, 0, -40},
                new double[] {0, 1.25, 0, 7.5});
        VolumeGeometry g = VolumeGeometry.ofAffine(6, 8, 4, affine);
        float[] data = new float[g.voxelCount()];
        for (int v = 0; v < data.length; v++) {
            data[v] = type == NiftiDatatype.FLOAT32 || type == NiftiDatatype.FLOAT64 ? v * 0.5f - 7 : v % 200;
        }
        Volume back = reader.read(NiftiWriter.write(g, data, type, true));
        assertThat(back.data()).containsExactly(data);
        assertThat(back.geometry().affine()).isEqualTo(affine);
        assertThat(back.geometry().spacing(0)).isCloseTo(2.0, within(1e-9));
    }

    private static void assertClose(Affine a, Affine b, double tol) {
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                assertThat(a.get(r, c)).as("[%d][%d]", r, c).isCloseTo(b.get(r, c), within(tol * Math.max(1, Math.abs(b.get(r, c)))));
            }
        }
    }
}
