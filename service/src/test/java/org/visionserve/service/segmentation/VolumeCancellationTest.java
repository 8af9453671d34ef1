package org.visionserve.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.visionserve.service.runtime.RequestCancelledException;
import org.visionserve.service.runtime.RequestScope;

/**
 * A request's scope stops the volume pipeline between its stages' steps: between slice batches (the
 * model, a real ONNX Runtime session, is not called again) and inside the disc search.
 */
class VolumeCancellationTest {

    private static MultiModalVolume exam(int nx, int ny, int nz) throws Exception {
        VolumeGeometry g = VolumeGeometry.ofAffine(nx, ny, nz, Affine.scaling(2, 1.25, 1.25));
        float[] data = new float[g.voxelCount()];
        for (int i = 0; i < data.length; i++) {
            data[i] = i % 97;
        }
        Volume v = new Volume(g, data);
        return MultiModalVolume.of(v, v, v, v);
    }

    @Test
    void aScopeCancelledBetweenSliceBatchesStopsTheRun() throws Exception {
        MultiModalVolume exam = exam(8, 64, 64); // 8 sagittal slices: 4 batches of 2
        try (TinyOnnxModel model = new TinyOnnxModel(64, 64);
             RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(1))) {
            int[] runs = {0};
            VolumeSegmenter.Result whole = new VolumeSegmenter(64, 64, 2).segment(exam, (batch, shape) -> {
                runs[0]++;
                return model.run(batch, shape);
            }, scope::check);
            assertThat(whole.batches()).isEqualTo(4);
            assertThat(runs[0]).isEqualTo(4);

            runs[0] = 0;
            assertThatThrownBy(() -> new VolumeSegmenter(64, 64, 2).segment(exam, (batch, shape) -> {
                runs[0]++;
                scope.cancel(RequestScope.Reason.CLIENT_GONE); // the client leaves during the first run
                return model.run(batch, shape);
            }, scope::check)).isInstanceOf(RequestCancelledException.class)
                    .extracting(e -> ((RequestCancelledException) e).reason()).isEqualTo(RequestScope.Reason.CLIENT_GONE);
            assertThat(runs[0]).as("model runs after the cancellation").isEqualTo(1);
        }
    }

    @Test
    void theDiscSearchStopsAtItsCheckpoint() {
        VolumeGeometry g = VolumeGeometry.ofAffine(16, 64, 256, Affine.scaling(2, 1.25, 1.25));
        byte[] mask = new byte[g.voxelCount()];
        Arrays.fill(mask, (byte) 1); // one component spanning the whole volume
        int[] checks = {0};
        assertThat(new DiscLocaliser(0).locate(g, mask, null, () -> checks[0]++).discs()).hasSize(1);
        assertThat(checks[0]).as("checkpoints in a 262144-voxel search").isGreaterThanOrEqualTo(4);
        int[] seen = {0};
        assertThatThrownBy(() -> new DiscLocaliser(0).locate(g, mask, null, () -> {
            if (++seen[0] == 2) {
                throw new IllegalStateException("stopped");
            }
        })).hasMessage("stopped");
    }
}
