package org.visionserve.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.models.IVDNet;
import org.visionserve.export.models.ModelDef;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.SeededInit;
import org.visionserve.export.weights.SeededWeights;

/**
 * IVD-Net's dynamic-size export (its golden at 256x256 runs in {@link ModelGoldenTest}): at other
 * sizes the dynamic graph agrees with a static export, and sizes it cannot take are refused.
 */
class IvdNetExportTest {

    @Test
    void refusesSliceSizesThatAreNotMultiplesOf32AtExport() {
        assertThatThrownBy(() -> IVDNet.fixedSize(250, 256))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiples of 32").hasMessageContaining("250x256");
        assertThatThrownBy(() -> IVDNet.checkSliceSize(256, 240))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256x240");
        assertThatThrownBy(() -> IVDNet.checkSliceSize(0, 256)).isInstanceOf(IllegalArgumentException.class);
        IVDNet.checkSliceSize(256, 320);
    }

    /** The runtime-computed centre crops of the dynamic graph give what the static crops give. */
    @Test
    void dynamicGraphAtAnotherSizeMatchesAStaticExport() throws Exception {
        Map<String, float[]> in = Map.of("input", SeededInit.input("input", 4 * 64 * 96, 0));
        Map<String, long[]> shape = Map.of("input", new long[] {1, 4, 64, 96});
        float[] dynamic = OrtRunner.run(build(ModelRegistry.get("ivd_net")), in, shape).get("logits");
        float[] fixed = OrtRunner.run(build(IVDNet.fixedSize(64, 96)), in, shape).get("logits");
        assertThat(dynamic).hasSize(2 * 64 * 96);
        assertThat(fixed).hasSize(2 * 64 * 96);
        double maxErr = 0;
        double maxAbs = 0;
        for (int i = 0; i < fixed.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(fixed[i] - dynamic[i]));
            maxAbs = Math.max(maxAbs, Math.abs(fixed[i]));
        }
        assertThat(maxAbs).isGreaterThan(0);
        assertThat(maxErr).as("dynamic vs static graph at 64x96").isLessThanOrEqualTo(1e-5 * Math.max(1, maxAbs));
    }

    /** A dynamic-size request of 48x48 (a multiple of 16, not 32) fails in the runtime rather than giving garbage. */
    @Test
    void dynamicGraphFailsOnSizesItCannotTake() throws Exception {
        var proto = build(ModelRegistry.get("ivd_net"));
        for (long[] s : List.of(new long[] {1, 4, 48, 48}, new long[] {1, 4, 64, 50})) {
            int n = (int) (s[1] * s[2] * s[3]);
            assertThatThrownBy(() -> OrtRunner.run(proto, Map.of("input", new float[n]), Map.of("input", s)))
                    .isInstanceOf(OrtException.class);
        }
    }

    /** model.json carries what the service needs: modality order, slicing, sizes, labels, dynamic H and W. */
    @Test
    void metadataDescribesTheSliceInput(@TempDir Path dir) throws Exception {
        ModelDef def = ModelRegistry.get("ivd_net");
        ModelExporter.Built built = ModelExporter.build(def, new SeededWeights(0), Graph.ProgressListener.NONE, false);
        Path file = dir.resolve(ModelMetadata.FILE_NAME);
        ModelExporter.metadata(built, new SeededWeights(0).provenance(), "0".repeat(64)).write(file);
        ModelMetadata meta = ModelMetadata.read(file);
        assertThat(meta.inputs().get(0).name()).isEqualTo("input");
        assertThat(meta.inputs().get(0).shape()).containsExactly(-1, 4, -1, -1);
        assertThat(meta.outputs().get(0).shape()).containsExactly(-1, 2, -1, -1);
        assertThat(meta.labels().classes()).containsExactly("background", "disc");
        assertThat(meta.sliceInput().modalities()).extracting(m -> m.id()).containsExactly("fat", "inn", "opp", "wat");
        assertThat(meta.sliceInput().sizeMultiple()).isEqualTo(32);
        assertThat(meta.sliceInput().dynamicSize()).isTrue();
        assertThat(meta.sliceInput().valueRange()).containsExactly(0f, 1f);
        assertThat(meta.sliceInput().slicing()).contains("sagittal");
        assertThat(meta.parameterCount()).isEqualTo(54_313_954L);
        assertThat(Files.readString(file)).doesNotContain("\"preprocessing\"");
    }

    private static ai.onnx.proto.OnnxMl.ModelProto build(ModelDef def) {
        return ModelExporter.build(def, new SeededWeights(0), Graph.ProgressListener.NONE, false).proto();
    }
}
