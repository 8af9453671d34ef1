package org.visionserve.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.models.Task;
import org.visionserve.export.weights.Checksums;
import org.visionserve.export.weights.SafetensorsWriter;
import org.visionserve.export.weights.SeededInit;
import org.visionserve.export.weights.SeededWeights;

/**
 * The export command line: in-process as {@code main} runs it, and as real runs of {@code main} in a
 * JVM of its own where the process exit code matters.
 */
class ExportCliTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return ExportCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    /** What a run of {@code main} in its own JVM left: the process exit code and its output. */
    private record Exit(int code, String out, String err) {
    }

    /** Runs {@code ExportCli.main} as a user would, in a fresh JVM with this test's class path, from {@code cwd}. */
    private static Exit main(Path cwd, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                ExportCli.class.getName()));
        command.addAll(List.of(args));
        Path logs = Files.createTempDirectory("export-cli");
        Process p = new ProcessBuilder(command).directory(cwd.toFile())
                .redirectOutput(logs.resolve("out").toFile()).redirectError(logs.resolve("err").toFile()).start();
        int code = p.waitFor();
        return new Exit(code, Files.readString(logs.resolve("out")), Files.readString(logs.resolve("err")));
    }

    @Test
    void helpPrintsTheUsageAndExitsZero() throws Exception {
        for (String flag : List.of("--help", "-h")) {
            Exit help = main(dir, flag);
            assertThat(help.code()).as(flag).isZero();
            assertThat(help.out()).as(flag).isEqualTo(ExportCli.USAGE)
                    .contains("--model ID").contains("--weights FILE").contains("--out DIR");
            assertThat(help.err()).as(flag).isEmpty();
        }
        try (var written = Files.list(dir)) {
            assertThat(written).isEmpty(); // no ./models created
        }
    }

    @Test
    void weightsWithSeveralModelsExitsTwoBeforeReadingAnything() throws Exception {
        Path weights = Files.writeString(dir.resolve("w.safetensors"), "not read");
        Exit e = main(dir, "--model", "inception_next_atto,inception_next_tiny", "--weights", weights.toString(),
                "--out", dir.resolve("out").toString());
        assertThat(e.code()).isEqualTo(2);
        assertThat(e.err()).contains("error: --weights belongs to one model").contains("usage:");
        assertThat(e.out()).isEmpty();
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void anUnwritableOutExitsOneBeforeBuildingAModel() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "keep");
        Exit onFile = main(dir, "--model", "inception_next_atto", "--out", file.toString());
        assertThat(onFile.code()).isEqualTo(1);
        assertThat(onFile.err()).contains("error: cannot write to --out " + file).contains("not a directory");
        assertThat(onFile.out()).doesNotContain("exporting");
        assertThat(Files.readString(file)).isEqualTo("keep");

        Path below = file.resolve("models");
        Exit underFile = main(dir, "--model", "inception_next_atto", "--out", below.toString());
        assertThat(underFile.code()).isEqualTo(1);
        assertThat(underFile.err()).contains("error: cannot write to --out " + below).contains(file.toString());
        assertThat(underFile.out()).doesNotContain("exporting");
    }

    @Test
    void listsEveryRegisteredModel() {
        assertThat(run("--list")).isZero();
        for (var m : ModelRegistry.all()) {
            assertThat(out.toString()).contains(m.id());
        }
    }

    @Test
    void badArgumentsExitWithTwoAndSayWhy() {
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString()).contains("nothing to do").contains("usage:");
        err.reset();
        assertThat(run("--model", "resnet9000")).isEqualTo(2);
        assertThat(err.toString()).contains("unknown model 'resnet9000'").contains("inception_next_tiny");
        err.reset();
        assertThat(run("--model", "inception_next_atto", "--seed", "abc")).isEqualTo(2);
        assertThat(err.toString()).contains("--seed needs an integer");
        err.reset();
        assertThat(run("--model")).isEqualTo(2);
        assertThat(err.toString()).contains("--model needs a value");
        err.reset();
        assertThat(run("--frobnicate")).isEqualTo(2);
        assertThat(err.toString()).contains("unknown argument '--frobnicate'");
    }

    @Test
    void missingCheckpointFailsClearly() {
        assertThat(run("--model", "inception_next_atto", "--weights", dir.resolve("nope.safetensors").toString(),
                "--out", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("does not exist");
        assertThat(dir.resolve("inception_next_atto/model.onnx")).doesNotExist();
    }

    @Test
    void exportsSeededModelWithMetadata() throws Exception {
        assertThat(run("--model", "inception_next_atto", "--seed", "7", "--out", dir.toString())).isZero();
        ModelMetadata meta = ModelMetadata.read(dir.resolve("inception_next_atto/model.json"));
        assertThat(meta.id()).isEqualTo("inception_next_atto");
        assertThat(meta.task()).isEqualTo(Task.CLASSIFICATION);
        assertThat(meta.weights().source()).isEqualTo("seeded");
        assertThat(meta.weights().seed()).isEqualTo(7L);
        assertThat(meta.weights().note()).contains("not trained");
        assertThat(meta.labels().classes()).hasSize(1000).startsWith("tench");
        assertThat(meta.inputs()).singleElement().satisfies(i -> {
            assertThat(i.name()).isEqualTo("input");
            assertThat(i.shape()).containsExactly(-1, 3, 224, 224);
        });
        assertThat(meta.outputs()).singleElement().satisfies(o -> assertThat(o.shape()).containsExactly(-1, 1000));
        assertThat(meta.preprocessing().resizeShorterSide()).isEqualTo(256);
        assertThat(meta.opset()).isEqualTo(Graph.OPSET);
        assertThat(meta.modelSha256()).isEqualTo(Checksums.sha256(dir.resolve("inception_next_atto/model.onnx")));
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("inception_next_atto/model.onnx")))).isEqualTo("rw-r--r--");
        assertThat(meta.parameterCount()).isGreaterThan(4_000_000);
        assertThat(out.toString()).contains("wrote").contains("parameters");
    }

    /**
     * Not on a terminal (a log, a pipe): one line per step, no carriage returns; the values counted up
     * to the total the progress announced, which the real load reaches exactly.
     */
    @Test
    void progressIsOneLinePerStepWhenNotOnATerminal() throws Exception {
        assertThat(run("--model", "inception_next_atto", "--out", dir.toString())).isZero();
        String printed = out.toString();
        assertThat(printed).doesNotContain("\r");
        List<String> lines = printed.lines().toList();
        long total = ModelExporter.loadedValues(ModelRegistry.get("inception_next_atto"));
        ModelMetadata meta = ModelMetadata.read(dir.resolve("inception_next_atto/model.json"));
        // parameters and the buffers read (BatchNorm statistics), not the declared-only num_batches_tracked
        assertThat(total).isBetween(meta.parameterCount(), meta.parameterCount() + meta.bufferCount());
        String loading = "inception_next_atto: loading parameters: ";
        List<String> steps = lines.stream().filter(l -> l.startsWith("inception_next_atto: ")).toList();
        assertThat(steps.get(0)).isEqualTo(loading + String.format(java.util.Locale.ROOT, "0 / %,d values (0%%)", total));
        List<String> loads = steps.stream().filter(l -> l.startsWith(loading)).toList();
        // the start, then a line each time a tenth more is loaded (one large tensor may pass two at once)
        assertThat(loads.size()).isBetween(3, 11);
        long previousTenth = -1;
        for (String line : loads) {
            long loaded = Long.parseLong(line.substring(loading.length()).split(" ")[0].replace(",", ""));
            assertThat(loaded * 10 / total).as(line).isGreaterThan(previousTenth);
            assertThat(line).endsWith("(" + loaded * 100 / total + "%)");
            previousTenth = loaded * 10 / total;
        }
        assertThat(loads.get(loads.size() - 1))
                .endsWith(String.format(java.util.Locale.ROOT, "%,d / %,d values (100%%)", total, total));
        assertThat(steps.subList(loads.size(), steps.size())).containsExactly("inception_next_atto: writing model.onnx",
                "inception_next_atto: writing model.json");
        assertThat(lines.get(lines.size() - 1)).startsWith("wrote ");
    }

    /** On a terminal: one line redrawn in place, ended by a newline before the summary. */
    @Test
    void progressIsOneRedrawnLineOnATerminal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream terminal = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertThat(ExportCli.run(new String[] {"--model", "inception_next_atto", "--out", dir.toString()}, terminal,
                terminal, true)).isZero();
        List<String> lines = List.of(bytes.toString(StandardCharsets.UTF_8).split("\n"));
        assertThat(lines).hasSize(3); // exporting ..., the redrawn progress line, wrote ...
        String[] draws = lines.get(1).split("\r");
        assertThat(draws[0]).isEmpty(); // the line starts with a carriage return
        assertThat(draws[1]).startsWith("inception_next_atto: loading parameters: 0 / ");
        assertThat(lines.get(1)).contains("values (100%)").endsWith("\rinception_next_atto: writing model.json");
        assertThat(lines.get(2)).startsWith("wrote ");
    }

    @Test
    void exportsFromSafetensorsWithProvenanceAndTheSameOutputs() throws Exception {
        var keys = ModelExporter.build(ModelRegistry.get("inception_next_atto"), new SeededWeights(3),
                Graph.ProgressListener.NONE, false).graph().declaredKeys();
        SafetensorsWriter writer = new SafetensorsWriter();
        keys.forEach((k, shape) -> {
            if (!k.endsWith("num_batches_tracked")) {
                writer.add(k, SeededInit.tensor(k, shape, 3));
            }
        });
        Path ckpt = dir.resolve("atto.safetensors");
        writer.write(ckpt);

        assertThat(run("--model", "inception_next_atto", "--weights", ckpt.toString(), "--out", dir.resolve("a").toString()))
                .as(err.toString()).isZero();
        assertThat(run("--model", "inception_next_atto", "--seed", "3", "--out", dir.resolve("b").toString())).isZero();
        ModelMetadata meta = ModelMetadata.read(dir.resolve("a/inception_next_atto/model.json"));
        assertThat(meta.weights().source()).isEqualTo("checkpoint");
        assertThat(meta.weights().file()).isEqualTo("atto.safetensors");
        assertThat(meta.weights().sha256()).isEqualTo(Checksums.sha256(ckpt));

        float[] input = SeededInit.input("input", 3 * 224 * 224, 0);
        var shapes = Map.of("input", new long[] {1, 3, 224, 224});
        float[] a = OrtRunner.run(dir.resolve("a/inception_next_atto/model.onnx"), Map.of("input", input), shapes).get("logits");
        float[] b = OrtRunner.run(dir.resolve("b/inception_next_atto/model.onnx"), Map.of("input", input), shapes).get("logits");
        assertThat(a).hasSize(1000).containsExactly(b);
        // The graphs are identical; only the metadata_props naming the weights differ.
        var ga = ModelProto.parseFrom(Files.readAllBytes(dir.resolve("a/inception_next_atto/model.onnx")));
        var gb = ModelProto.parseFrom(Files.readAllBytes(dir.resolve("b/inception_next_atto/model.onnx")));
        assertThat(ga.getGraph()).isEqualTo(gb.getGraph());
        assertThat(ga.getMetadataPropsList()).anySatisfy(p -> assertThat(p.getValue()).contains(meta.weights().sha256()));
    }
}
