package org.visionserve.export.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads checkpoints written by the real tools: torch.save of torch 1.13.1 and the safetensors
 * layout (see {@code src/test/resources/checkpoints/README.md}). Every tensor is compared bit for bit
 * with the float32 value torch itself gives ({@code expected.json}).
 */
class RealCheckpointsTest {

    private static final JsonNode EXPECTED = JsonMapper.shared().readTree(
            RealCheckpointsTest.class.getResourceAsStream("/checkpoints/expected.json"));

    private static Path fixture(String name) {
        try {
            return Path.of(RealCheckpointsTest.class.getResource("/checkpoints/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"state_dict.pt", "nested.pth", "module_prefix.pth", "timm.safetensors"})
    void readsEveryTensorAsTheToolWroteIt(String name) {
        JsonNode expected = EXPECTED.get(name);
        CheckpointWeights w = Checkpoints.open(fixture(name));

        List<String> keys = new ArrayList<>();
        int floats = 0;
        for (JsonNode k : expected.get("keys")) {
            String fileKey = k.asString();
            String key = fileKey.replaceFirst("^module\\.", "");
            keys.add(key);
            JsonNode t = expected.get("tensors").get(fileKey);
            long[] shape = new long[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.get("shape").get(i).asLong();
            }
            String dtype = t.get("dtype").asString();
            if (dtype.equals("I64")) { // num_batches_tracked: declared by the graph, never loaded as weights
                assertThatThrownBy(() -> w.load(key, shape)).isInstanceOf(WeightsException.class)
                        .hasMessageContaining("'" + key + "'").hasMessageContaining("dtype I64");
                continue;
            }
            float[] actual = w.load(key, shape).toFloatArray();
            JsonNode values = t.get("values");
            assertThat(actual).as("%s (%s)", key, dtype).hasSize(values.size());
            for (int i = 0; i < actual.length; i++) {
                // bits, so that -0.0 and subnormals count too
                assertThat(Float.floatToRawIntBits(actual[i])).as("%s[%d] (%s): %s", key, i, dtype, actual[i])
                        .isEqualTo(Float.floatToRawIntBits((float) values.get(i).asDouble()));
            }
            floats++;
        }
        assertThat(floats).isPositive();
        assertThat(w.keys()).containsExactlyElementsOf(keys);
        w.verifyComplete(keys);
        assertThat(w.provenance().file()).isEqualTo(name);
        assertThat(w.provenance().sha256()).isEqualTo(sha256(fixture(name)));
    }

    @Test
    void stateDictFromTorchHasAllDtypesAndViewsThisTestReliesOn() {
        // guards the fixture: F16, BF16, F64 and the views must really be there
        JsonNode tensors = EXPECTED.get("state_dict.pt").get("tensors");
        assertThat(tensors.get("half.weight").get("dtype").asString()).isEqualTo("F16");
        assertThat(tensors.get("bf16.weight").get("dtype").asString()).isEqualTo("BF16");
        assertThat(tensors.get("f64.weight").get("dtype").asString()).isEqualTo("F64");
        // base = arange(12).reshape(3, 4): its transpose, a slice at offset 3 and every second element
        CheckpointWeights w = Checkpoints.open(fixture("state_dict.pt"));
        assertThat(w.load("view.transposed", new long[] {4, 3}).toFloatArray())
                .containsExactly(0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11);
        assertThat(w.load("view.slice", new long[] {6}).toFloatArray()).containsExactly(3, 4, 5, 6, 7, 8);
        assertThat(w.load("view.strided", new long[] {6}).toFloatArray()).containsExactly(1, 3, 5, 7, 9, 11);
        // channels_last: logical order is still arange * 0.5 - 4
        float[] cl = w.load("view.channels_last", new long[] {3, 2, 2, 2}).toFloatArray();
        for (int i = 0; i < cl.length; i++) {
            assertThat(cl[i]).isEqualTo(i * 0.5f - 4);
        }
        assertThat(w.provenance().note()).isNull();
    }

    @Test
    void notesWhereTheStateDictCameFrom() {
        assertThat(Checkpoints.open(fixture("nested.pth")).provenance().note())
                .contains("'state_dict'").doesNotContain("module.");
        assertThat(Checkpoints.open(fixture("module_prefix.pth")).provenance().note())
                .contains("'module.' prefix").doesNotContain("'state_dict'");
        CheckpointWeights st = Checkpoints.open(fixture("timm.safetensors"));
        assertThat(st).isInstanceOf(SafetensorsWeights.class);
        assertThat(st.provenance().format()).isEqualTo("safetensors");
    }

    @Test
    void refusesABigEndianCheckpointNamingItsByteOrder() {
        assertThat(EXPECTED.get("big_endian.pt").get("byteorder").asString()).isEqualTo("big");
        assertThatThrownBy(() -> Checkpoints.open(fixture("big_endian.pt")))
                .isInstanceOf(WeightsException.class)
                .hasMessageContaining("big_endian.pt")
                .hasMessageContaining("big-endian")
                .hasMessageContaining("little-endian");
    }

    private static String sha256(Path file) {
        try {
            return Checksums.sha256(file);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
