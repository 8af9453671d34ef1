package org.visionserve.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.visionserve.export.ModelExporter;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.SeededWeights;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Real exported models in temp directories, made once per test JVM. */
public final class TestModels {

    public static final String ATTO = "inception_next_atto";
    public static final String TINY = "inception_next_tiny";
    /** A copy of atto whose runner has one worker and no queue, for the rejection test. */
    public static final String BUSY = "atto_busy";
    /** A copy of atto that claims another task, for the wrong-task test. */
    public static final String FEATURES = "atto_features";
    /** IVD-Net (segmentation, dynamic slice size), seeded: 54 M parameters, exported in about 1 s. */
    public static final String IVD = "ivd_net";

    private static Path repository;

    private TestModels() {
    }

    /**
     * The shared repository: atto, its two copies, IVD-Net, and no {@code inception_next_tiny}, so the
     * service exports that full-size default itself on first run.
     */
    public static synchronized Path repository() {
        if (repository == null) {
            try {
                Path dir = Files.createTempDirectory("visionserve-models");
                exportAtto(dir);
                copy(dir.resolve(ATTO), dir.resolve(BUSY));
                copy(dir.resolve(ATTO), dir.resolve(FEATURES));
                setTask(dir.resolve(FEATURES), "action-features");
                try (SeededWeights w = new SeededWeights(0)) {
                    ModelExporter.export(ModelRegistry.get(IVD), w, dir, (k, n) -> { });
                }
                repository = dir;
                deleteOnExit(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return repository;
    }

    /** Removes a temp repository when the test JVM ends (open sessions hold their own copy of the model). */
    public static void deleteOnExit(Path dir) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // best effort
            }
        }));
    }

    public static void exportAtto(Path dir) throws IOException {
        try (SeededWeights w = new SeededWeights(0)) {
            ModelExporter.export(ModelRegistry.get(ATTO), w, dir, (k, n) -> { });
        }
    }

    public static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String f : new String[] {ModelExporter.MODEL_FILE, ModelMetadata.FILE_NAME}) {
            Files.copy(from.resolve(f), to.resolve(f));
        }
    }

    static void setTask(Path modelDir, String task) throws IOException {
        Path json = modelDir.resolve(ModelMetadata.FILE_NAME);
        JsonMapper mapper = JsonMapper.builder().build();
        ObjectNode node = (ObjectNode) mapper.readTree(json.toFile());
        node.put("task", task);
        Files.writeString(json, mapper.writeValueAsString(node));
    }
}
