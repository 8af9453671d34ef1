package org.visionserve.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.models.ModelDef;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.Checkpoints;
import org.visionserve.export.weights.SafetensorsWeights;
import org.visionserve.export.weights.SafetensorsWriter;
import org.visionserve.export.weights.SeededInit;
import org.visionserve.export.weights.SeededWeights;
import org.visionserve.export.weights.Tensor;
import org.visionserve.export.weights.WeightSource;
import org.visionserve.export.weights.WeightsException;

/** Safetensors checkpoints: a round trip through F32/F16/BF16 files, and every way a checkpoint can be wrong. */
class CheckpointWeightsTest {

    private static final ModelDef MODEL = ModelRegistry.get("inception_next_atto");
    private static Map<String, long[]> keys;

    @TempDir
    Path dir;

    @BeforeAll
    static void declaredKeys() {
        keys = ModelExporter.build(MODEL, new SeededWeights(0), Graph.ProgressListener.NONE, false)
                .graph().declaredKeys();
    }

    /** Every third tensor F16, every third BF16, the rest F32; num_batches_tracked left out as timm does. */
    private static String dtypeOf(int index) {
        return List.of("F32", "F16", "BF16").get(index % 3);
    }

    @Test
    void safetensorsWithF16AndBf16ExportTheSameGraphAsTheSeededWeightsTheyHold() throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter();
        Map<String, Tensor> rounded = new HashMap<>();
        int i = 0;
        for (var e : keys.entrySet()) {
            if (e.getKey().endsWith("num_batches_tracked")) {
                continue;
            }
            Tensor seeded = SeededInit.tensor(e.getKey(), e.getValue(), 0);
            String dtype = dtypeOf(i++);
            writer.add(e.getKey(), seeded, dtype);
            rounded.put(e.getKey(), roundTo(seeded, dtype));
        }
        Path file = dir.resolve("model.safetensors");
        writer.write(file);

        ModelProto fromFile;
        try (SafetensorsWeights w = SafetensorsWeights.open(file)) {
            fromFile = ModelExporter.build(MODEL, w, Graph.ProgressListener.NONE, false).proto();
        }
        WeightSource expected = new WeightSource() {
            @Override
            public Tensor load(String key, long[] shape) {
                return rounded.get(key);
            }

            @Override
            public Provenance provenance() {
                return Provenance.seeded(0);
            }
        };
        ModelProto fromSeeded = ModelExporter.build(MODEL, expected, Graph.ProgressListener.NONE, false).proto();
        assertThat(fromFile.getGraph()).isEqualTo(fromSeeded.getGraph());

        // And the F16/BF16 tensors really differ from plain seeded F32 values (the test would be void otherwise).
        ModelProto plain = ModelExporter.build(MODEL, new SeededWeights(0), Graph.ProgressListener.NONE, false).proto();
        long differing = fromFile.getGraph().getInitializerList().stream()
                .filter(t -> !t.equals(initializer(plain, t.getName()))).count();
        assertThat(differing).isGreaterThan(keys.size() / 3);
    }

    private static TensorProto initializer(ModelProto m, String name) {
        return m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst().orElseThrow();
    }

    /** The value an F16 / BF16 store gives back, computed independently of the writer (via the JDK's float math). */
    private static Tensor roundTo(Tensor t, String dtype) {
        float[] v = t.toFloatArray();
        for (int k = 0; k < v.length; k++) {
            v[k] = switch (dtype) {
                case "F16" -> roundToHalf(v[k]);
                case "BF16" -> roundToBfloat16(v[k]);
                default -> v[k];
            };
        }
        return Tensor.of(t.shape(), v);
    }

    private static float roundToBfloat16(float f) {
        // nearest-even on the upper 16 bits, via BigDecimal-free float arithmetic on the ulp grid
        int bits = Float.floatToRawIntBits(f);
        float lower = Float.intBitsToFloat(bits & 0xffff0000);
        float upper = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000);
        double dl = Math.abs((double) f - lower);
        double du = Math.abs((double) upper - f);
        if (dl < du || (dl == du && ((bits >>> 16) & 1) == 0)) {
            return lower;
        }
        return upper;
    }

    private static float roundToHalf(float f) {
        // the seeded weights are normal halfs here: round the significand to 10 bits at f's binade
        int exp = Math.getExponent(f);
        double ulp = Math.scalb(1.0, Math.max(exp, -14) - 10);
        return (float) (Math.rint(f / ulp) * ulp);
    }

    @Test
    void missingKeyIsNamedWithItsShape() throws IOException {
        Path file = writeAllBut("stem.0.bias");
        try (SafetensorsWeights w = SafetensorsWeights.open(file)) {
            assertThatThrownBy(() -> ModelExporter.build(MODEL, w, Graph.ProgressListener.NONE, false))
                    .isInstanceOf(WeightsException.class)
                    .hasMessageContaining("missing key 'stem.0.bias'").hasMessageContaining("[40]");
        }
    }

    @Test
    void misShapedKeyNamesBothShapes() throws IOException {
        SafetensorsWriter writer = writerWithAll();
        writer.add("stem.0.weight", Tensor.of(new long[] {40, 3, 2, 8}, new float[40 * 3 * 16]));
        Path file = dir.resolve("bad-shape.safetensors");
        writer.write(file);
        try (SafetensorsWeights w = SafetensorsWeights.open(file)) {
            assertThatThrownBy(() -> ModelExporter.build(MODEL, w, Graph.ProgressListener.NONE, false))
                    .isInstanceOf(WeightsException.class)
                    .hasMessageContaining("'stem.0.weight'")
                    .hasMessageContaining("[40, 3, 2, 8]").hasMessageContaining("[40, 3, 4, 4]");
        }
    }

    @Test
    void unexpectedKeyIsRefused() throws IOException {
        SafetensorsWriter writer = writerWithAll();
        writer.add("head.fc3.weight", Tensor.of(new long[] {2}, new float[2]));
        Path file = dir.resolve("extra.safetensors");
        writer.write(file);
        try (SafetensorsWeights w = SafetensorsWeights.open(file)) {
            assertThatThrownBy(() -> ModelExporter.build(MODEL, w, Graph.ProgressListener.NONE, false))
                    .isInstanceOf(WeightsException.class)
                    .hasMessageContaining("1 unexpected key").hasMessageContaining("head.fc3.weight");
        }
    }

    @Test
    void nonFloatDtypeForAParameterIsRefusedNamingIt() throws IOException {
        // Hand-written file: one I32 tensor under a parameter name.
        Path file = rawSafetensors("{\"stem.0.bias\":{\"dtype\":\"I32\",\"shape\":[40],\"data_offsets\":[0,160]}}", 160);
        try (SafetensorsWeights w = SafetensorsWeights.open(file)) {
            assertThatThrownBy(() -> w.load("stem.0.bias", new long[] {40}))
                    .isInstanceOf(WeightsException.class).hasMessageContaining("'stem.0.bias' has dtype I32");
        }
    }

    @Test
    void unknownDtypeAndBadHeadersAreRefusedWhenOpening() throws IOException {
        Path unknown = rawSafetensors("{\"a\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4);
        assertThatThrownBy(() -> SafetensorsWeights.open(unknown))
                .isInstanceOf(WeightsException.class).hasMessageContaining("unknown dtype 'Q4'");

        Path lying = rawSafetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,64]}}", 16);
        assertThatThrownBy(() -> SafetensorsWeights.open(lying))
                .isInstanceOf(WeightsException.class).hasMessageContaining("byte range");

        Path garbage = dir.resolve("garbage.safetensors");
        Files.write(garbage, "this is not a checkpoint at all".getBytes());
        assertThatThrownBy(() -> SafetensorsWeights.open(garbage))
                .isInstanceOf(WeightsException.class).hasMessageContaining("not a safetensors file");

        assertThatThrownBy(() -> Checkpoints.open(dir.resolve("absent.safetensors")))
                .isInstanceOf(WeightsException.class).hasMessageContaining("does not exist");
    }

    @Test
    void halfPrecisionConversionIsExactOnSpecialValues() throws IOException {
        float[] values = {0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f, Float.POSITIVE_INFINITY, 0.1f};
        Path file = dir.resolve("half.safetensors");
        new SafetensorsWriter().add("x", Tensor.of(new long[] {values.length}, values), "F16").write(file);
        try (SafetensorsWeights w = SafetensorsWeights.open(file)) {
            float[] back = w.load("x", new long[] {values.length}).toFloatArray();
            assertThat(back).containsExactly(0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f,
                    Float.POSITIVE_INFINITY, 0.099975586f);
        }
    }

    private SafetensorsWriter writerWithAll() {
        return writerWithAllBut(List.of());
    }

    private SafetensorsWriter writerWithAllBut(Collection<String> skip) {
        SafetensorsWriter writer = new SafetensorsWriter();
        keys.forEach((k, shape) -> {
            if (!skip.contains(k) && !k.endsWith("num_batches_tracked")) {
                writer.add(k, SeededInit.tensor(k, shape, 0));
            }
        });
        return writer;
    }

    private Path writeAllBut(String key) throws IOException {
        Path file = dir.resolve("missing.safetensors");
        writerWithAllBut(List.of(key)).write(file);
        return file;
    }

    private Path rawSafetensors(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes();
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path file = Files.createTempFile(dir, "raw", ".safetensors");
        Files.write(file, b.array());
        return file;
    }
}
