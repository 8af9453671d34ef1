package org.visionserve.service.segmentation.nifti;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.visionserve.service.segmentation.Affine;
import org.visionserve.service.segmentation.Volume;
import org.visionserve.service.segmentation.VolumeGeometry;
import org.visionserve.service.segmentation.VolumeGeometry.AffineSource;
import org.visionserve.service.segmentation.VolumeLimits;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads NIfTI-1 and NIfTI-2 files written by nibabel 5.0.0 ({@code src/test/resources/nibabel/README.md})
 * and compares what the reader makes of them with what nibabel reads back: header fields, sform, qform,
 * the resolved affine and every voxel.
 */
class NibabelFilesTest {

    private static final JsonNode EXPECTED = JsonMapper.builder().build().readTree(
            NibabelFilesTest.class.getResourceAsStream("/nibabel/expected.json"));

    /**
     * nibabel turns the quaternion into a matrix by another formula than the NIfTI standard's
     * (quat2mat of the normalised quaternion); both in double, they agree to rounding (4e-16 here).
     */
    private static final double QUATERNION_MM = 1e-12;

    private final NiftiReader reader = new NiftiReader(VolumeLimits.DEFAULT);

    @ParameterizedTest
    @ValueSource(strings = {"ni1_int16.nii", "ni1_float32.nii.gz", "ni2_int16_scaled.nii.gz", "ni2_float32.nii"})
    void readsWhatNibabelWrote(String name) throws Exception {
        JsonNode e = EXPECTED.get(name);
        Volume vol = reader.read(Path.of(NibabelFilesTest.class.getResource("/nibabel/" + name).toURI()));
        VolumeGeometry g = vol.geometry();

        assertThat(g.dims()).containsExactly(ints(e.get("dims")));
        assertThat(g.rank()).isEqualTo(3);
        assertThat(g.pixdim()).containsExactly(doubles(e.get("pixdim")));
        assertThat(g.sformCode()).isEqualTo(e.get("sform_code").asInt());
        assertThat(g.qformCode()).isEqualTo(e.get("qform_code").asInt());

        if (g.sformCode() > 0) {
            assertThat(g.affineSource()).isEqualTo(AffineSource.SFORM);
            assertThat(g.affine()).isEqualTo(Affine.of(matrix(e.get("sform")))); // the stored rows, exactly
        } else {
            assertThat(g.affineSource()).isEqualTo(AffineSource.QFORM);
        }
        assertClose(g.affine(), matrix(e.get("affine")), g.sformCode() > 0 ? 0 : QUATERNION_MM);
        if (g.qformCode() > 0) {
            double[] p = g.pixdim();
            assertClose(VolumeGeometry.quaternionToAffine(g.quatern(), p[1], p[2], p[3], p[0]),
                    matrix(e.get("qform")), QUATERNION_MM);
        }

        JsonNode values = e.get("values");
        assertThat(vol.data()).hasSize(values.size());
        for (int i = 0; i < values.size(); i++) {
            assertThat(Float.floatToRawIntBits(vol.data()[i])).as("voxel %d: %s", i, vol.data()[i])
                    .isEqualTo(Float.floatToRawIntBits((float) values.get(i).asDouble()));
        }
    }

    /** Guards the fixtures: each exercises what the test above is meant to check. */
    @Test
    void theFixturesCoverWhatTheyClaim() {
        JsonNode e = EXPECTED;
        assertThat(e.get("ni1_int16.nii").get("datatype").asInt()).isEqualTo(4); // int16
        assertThat(e.get("ni1_float32.nii.gz").get("datatype").asInt()).isEqualTo(16); // float32
        assertThat(e.get("ni1_float32.nii.gz").get("pixdim").get(0).asDouble()).isEqualTo(-1); // left-handed qform
        assertThat(e.get("ni2_int16_scaled.nii.gz").get("version").asInt()).isEqualTo(2);
        assertThat(e.get("ni2_int16_scaled.nii.gz").get("scl_slope").asDouble()).isNotIn(0.0, 1.0);
        assertThat(e.get("ni2_float32.nii").get("vox_offset").asDouble()).isGreaterThan(544); // an extension
        // sform and qform of the first file differ, so resolving the wrong one would show
        assertThat(matrix(e.get("ni1_int16.nii").get("sform"))[0][3])
                .isNotEqualTo(matrix(e.get("ni1_int16.nii").get("qform"))[0][3]);
    }

    private static void assertClose(Affine actual, double[][] expected, double tolerance) {
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                assertThat(actual.get(r, c)).as("affine[%d][%d] of %s", r, c, actual)
                        .isCloseTo(expected[r][c], within(tolerance));
            }
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }

    private static double[][] matrix(JsonNode rows) {
        double[][] out = new double[rows.size()][];
        for (int r = 0; r < out.length; r++) {
            out[r] = doubles(rows.get(r));
        }
        return out;
    }
}
