package org.visionserve.export;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.visionserve.export.ModelMetadata.LabelSet;
import org.visionserve.export.ModelMetadata.TensorSpec;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.graph.Value;
import org.visionserve.export.models.Labels;
import org.visionserve.export.models.ModelDef;
import org.visionserve.export.weights.Tensor;
import org.visionserve.export.weights.WeightSource;

/** Builds a model's graph with the given weights and writes {@code <out>/<id>/model.onnx} and {@code model.json}. */
public final class ModelExporter {

    public static final String MODEL_FILE = "model.onnx";
    public static final String VERSION = readVersion();

    /** The steps {@link #export} tells its progress listener of, in order. */
    public static final String STAGE_LOAD = "loading parameters";
    public static final String STAGE_WRITE_MODEL = "writing " + MODEL_FILE;
    public static final String STAGE_WRITE_METADATA = "writing " + ModelMetadata.FILE_NAME;

    private ModelExporter() {
    }

    /**
     * The values (parameters and buffers) building {@code def} loads, what a progress display counts
     * to: the graph built once with zero tensors that all share one buffer (as large as the largest
     * tensor), so it costs the graph's nodes, not its weights. -1 if that build fails.
     */
    public static long loadedValues(ModelDef def) {
        long[] total = {0};
        try {
            build(def, new ZeroWeights(), (key, n) -> total[0] += n, false);
            return total[0];
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** Zeros of any shape, every tensor a view of one buffer. */
    private static final class ZeroWeights implements WeightSource {
        private ByteBuffer zeros = ByteBuffer.allocate(0);

        @Override
        public Tensor load(String key, long[] shape) {
            int bytes = Math.toIntExact(Tensor.elementCount(shape) * Float.BYTES);
            if (zeros.capacity() < bytes) {
                zeros = ByteBuffer.allocate(bytes);
            }
            return new Tensor(shape, zeros.slice(0, bytes));
        }

        @Override
        public Provenance provenance() {
            return Provenance.seeded(0);
        }
    }

    /** A built graph with the model it came from, before it is written. */
    public record Built(ModelDef def, Graph graph, ModelProto proto) {
    }

    /** Builds the graph; the weights are checked for unexpected keys. */
    public static Built build(ModelDef def, WeightSource weights, Graph.ProgressListener progress, boolean withTaps) {
        Graph graph = new Graph(def.id(), weights);
        graph.onProgress(progress);
        def.builder().accept(graph);
        Map<String, String> props = new LinkedHashMap<>();
        props.put("model_id", def.id());
        props.put("task", def.task().id());
        props.put("weights", weights.provenance().isSeeded()
                ? "seeded:" + weights.provenance().seed() : weights.provenance().file() + " sha256:" + weights.provenance().sha256());
        return new Built(def, graph, graph.toModel(VERSION, props, withTaps));
    }

    /** Exports {@code def} to {@code outDir/<id>/}, replacing what was there only once both files are complete. */
    public static ModelMetadata export(ModelDef def, WeightSource weights, Path outDir, Graph.ProgressListener progress)
            throws IOException {
        progress.stage(STAGE_LOAD);
        Built built = build(def, weights, progress, false);
        progress.stage(STAGE_WRITE_MODEL);
        Path dir = outDir.resolve(def.id());
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, MODEL_FILE, ".tmp");
        String sha256;
        try {
            sha256 = writeModel(built.proto(), tmp);
            // createTempFile makes the file owner-only; an exported model is meant to be read by the
            // service, which may run as another user (the container's uid 10001).
            if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            Files.move(tmp, dir.resolve(MODEL_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        progress.stage(STAGE_WRITE_METADATA);
        ModelMetadata meta = metadata(built, weights.provenance(), sha256);
        Path metaTmp = dir.resolve(ModelMetadata.FILE_NAME + ".tmp");
        meta.write(metaTmp);
        Files.move(metaTmp, dir.resolve(ModelMetadata.FILE_NAME), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        return meta;
    }

    /** Serialises the model, returning the SHA-256 of the bytes written. */
    public static String writeModel(ModelProto proto, Path file) throws IOException {
        MessageDigest md = sha256();
        try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20), md)) {
            proto.writeTo(out);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    public static ModelMetadata metadata(Built built, WeightSource.Provenance provenance, String sha256) {
        ModelDef def = built.def();
        Graph g = built.graph();
        List<TensorSpec> inputs = new ArrayList<>();
        built.proto().getGraph().getInputList().forEach(vi -> {
            var dims = vi.getType().getTensorType().getShape().getDimList();
            inputs.add(new TensorSpec(vi.getName(), dims.stream()
                    .mapToLong(d -> d.hasDimValue() ? d.getDimValue() : -1).toArray(), "float32"));
        });
        List<TensorSpec> outputs = new ArrayList<>();
        for (Value v : g.outputs()) {
            outputs.add(new TensorSpec(v.name(), v.shape(), "float32"));
        }
        LabelSet labels = def.labels() == null ? null : new LabelSet(def.labels(), Labels.load(def.labels()));
        return new ModelMetadata(ModelMetadata.FORMAT_VERSION, def.id(), def.task(), def.family(), def.description(),
                def.reference(), inputs, outputs, labels, def.preprocessing(), provenance, g.parameterCount(),
                g.bufferCount(), Graph.OPSET, VERSION, Instant.now().toString(), sha256, def.sliceInput());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String readVersion() {
        try (InputStream in = ModelExporter.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "dev");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
