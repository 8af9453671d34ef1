package org.visionserve.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.SeededWeights;
import org.visionserve.export.weights.TorchCheckpointWriter;

/**
 * End to end through the CLI: a model exported from a torch.save checkpoint holding the seeded
 * values equals the seeded build, initializer for initializer, byte for byte. The 4-D conv weights are stored
 * channels-last (non-contiguous views), as a checkpoint saved from channels_last training holds them.
 */
class PyTorchExportTest {

    @TempDir
    Path dir;

    @Test
    void exportFromAPthEqualsTheSeededExport() throws Exception {
        String id = "inception_next_tiny";
        ModelExporter.Built built = ModelExporter.build(ModelRegistry.get(id), new SeededWeights(0),
                Graph.ProgressListener.NONE, false);
        Map<String, TensorProto> seeded = new LinkedHashMap<>();
        built.proto().getGraph().getInitializerList().forEach(t -> seeded.put(t.getName(), t));

        TorchCheckpointWriter ck = new TorchCheckpointWriter();
        int channelsLast = 0;
        int n = 0;
        for (var e : built.graph().declaredKeys().entrySet()) {
            String key = e.getKey();
            long[] shape = e.getValue();
            String storage = Integer.toString(n++);
            TensorProto t = seeded.get(key);
            if (t == null) { // num_batches_tracked: in the state dict, not in the graph
                assertThat(key).endsWith("num_batches_tracked");
                ck.storage(storage, "LongStorage", 8, new byte[8]).tensor(key, storage, 0, shape, shape);
            } else if (shape.length == 4) {
                ck.storage(storage, "FloatStorage", 4, toChannelsLast(t.getRawData().toByteArray(), shape));
                long c = shape[1];
                long h = shape[2];
                long w = shape[3];
                ck.tensor(key, storage, 0, shape, new long[] {h * w * c, 1, w * c, c});
                channelsLast++;
            } else {
                ck.storage(storage, "FloatStorage", 4, t.getRawData().toByteArray());
                ck.tensor(key, storage, 0, shape, TorchCheckpointWriter.contiguousStride(shape));
            }
        }
        assertThat(channelsLast).isGreaterThan(30);
        Path pth = dir.resolve("inception_next_tiny.pth");
        ck.write(pth, "model");
        ck = null;

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int rc = ExportCli.run(new String[] {"--model", id, "--weights", pth.toString(), "--out",
                dir.resolve("pth").toString()}, new PrintStream(log), new PrintStream(log));
        assertThat(rc).as("export from %s:%n%s", pth, log).isZero();
        Map<String, TensorProto> loaded = initializers(dir.resolve("pth").resolve(id).resolve("model.onnx"));

        assertThat(loaded.keySet()).containsExactlyElementsOf(seeded.keySet());
        for (var e : seeded.entrySet()) {
            TensorProto a = e.getValue();
            TensorProto b = loaded.get(e.getKey());
            assertThat(b.getDimsList()).as(e.getKey()).isEqualTo(a.getDimsList());
            assertThat(b.getRawData().equals(a.getRawData())).as("raw bytes of %s", e.getKey()).isTrue();
        }
        String json = Files.readString(dir.resolve("pth").resolve(id).resolve("model.json"));
        assertThat(json).contains("\"format\" : \"pytorch\"").contains("inception_next_tiny.pth")
                .contains("taken from key 'model'");
    }

    /** [O, I, H, W] row-major bytes to the storage order of a channels-last tensor, [O, H, W, I]. */
    private static byte[] toChannelsLast(byte[] nchw, long[] shape) {
        int o = (int) shape[0];
        int c = (int) shape[1];
        int h = (int) shape[2];
        int w = (int) shape[3];
        byte[] out = new byte[nchw.length];
        for (int a = 0; a < o; a++) {
            for (int ci = 0; ci < c; ci++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int src = (((a * c + ci) * h + y) * w + x) * 4;
                        int dst = (((a * h + y) * w + x) * c + ci) * 4;
                        System.arraycopy(nchw, src, out, dst, 4);
                    }
                }
            }
        }
        return out;
    }

    private static Map<String, TensorProto> initializers(Path model) throws Exception {
        ModelProto proto;
        try (InputStream in = Files.newInputStream(model)) {
            proto = ModelProto.parseFrom(in);
        }
        Map<String, TensorProto> out = new LinkedHashMap<>();
        for (TensorProto t : proto.getGraph().getInitializerList()) {
            out.put(t.getName(), t);
        }
        return out;
    }
}
