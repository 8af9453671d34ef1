package org.visionserve.export;

import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.visionserve.export.models.ModelDef;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.Checkpoints;
import org.visionserve.export.weights.SeededWeights;
import org.visionserve.export.weights.WeightSource;
import org.visionserve.export.weights.WeightsException;

/**
 * The exporter's command line.
 *
 * <pre>
 *   --list                                   list the model ids
 *   --model ID[,ID...] [--weights FILE] [--seed N] [--out DIR]
 * </pre>
 */
public final class ExportCli {

    static final String USAGE = """
            usage: model-export --list
                   model-export --model ID[,ID...] [--weights FILE] [--seed N] [--out DIR]

              --list            list the model ids with their task and description
              --model ID        the model(s) to export (comma-separated)
              --weights FILE    a checkpoint with the reference parameter names: .safetensors, or
                                a PyTorch torch.save file (.pth, .pt, .bin, .ckpt; a state dict,
                                or a dict holding one under "state_dict" or "model");
                                without it the seeded demo weights are used (not trained)
              --seed N          seed of the demo weights (default 0)
              --out DIR         output directory (default ./models); writes DIR/ID/model.onnx and model.json
            """;

    private ExportCli() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, terminal()));
    }

    /** As {@link #run(String[], PrintStream, PrintStream, boolean)}, not on a terminal. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, false);
    }

    /**
     * Runs the command; returns the process exit code (0 ok, 2 bad arguments, 1 failed export).
     *
     * @param terminal whether {@code out} is a terminal: progress as one line redrawn in place, else one
     *                 line per step
     */
    static int run(String[] args, PrintStream out, PrintStream err, boolean terminal) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        if (o.help) {
            out.print(USAGE);
            return 0;
        }
        if (o.list) {
            for (ModelDef m : ModelRegistry.all()) {
                out.printf("%-28s %-20s %s%n", m.id(), m.task().id(), m.description());
            }
            return 0;
        }
        String unwritable = unwritable(o.out);
        if (unwritable != null) {
            err.println("error: cannot write to --out " + o.out + ": " + unwritable);
            return 1;
        }
        for (String id : o.models) {
            try {
                ModelDef def = ModelRegistry.get(id);
                exportOne(def, o, out, terminal);
            } catch (IllegalArgumentException | WeightsException e) {
                err.println("error: " + e.getMessage());
                return e instanceof WeightsException ? 1 : 2;
            } catch (Exception e) {
                err.println("error: export of " + id + " failed: " + e);
                return 1;
            }
        }
        return 0;
    }

    /**
     * Why the output folder cannot be written, or null: checked (by creating it and a file in it)
     * before any model is built, which takes minutes for the large ones.
     */
    private static String unwritable(Path out) {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            return "it is a file, not a directory";
        }
        try {
            Files.createDirectories(out);
            Files.delete(Files.createTempFile(out, ".export-check", ".tmp"));
            return null;
        } catch (IOException e) {
            return e.getClass().getSimpleName() + " " + e.getMessage();
        }
    }

    /** Whether standard output is an interactive terminal (Java 22+ has a console even when redirected). */
    static boolean terminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // before Java 22 a console exists only on a terminal
        }
    }

    private static void exportOne(ModelDef def, Options o, PrintStream out, boolean terminal) throws Exception {
        long start = System.nanoTime();
        try (WeightSource weights = o.weights != null ? Checkpoints.open(o.weights) : new SeededWeights(o.seed)) {
            out.printf("exporting %s (%s) with %s weights%n", def.id(), def.description(),
                    weights.provenance().isSeeded() ? "seeded demo (seed " + o.seed + ")" : weights.provenance().file());
            ExportProgress progress = new ExportProgress(out, terminal, def.id(), ModelExporter.loadedValues(def));
            ModelMetadata meta;
            try {
                meta = ModelExporter.export(def, weights, o.out, progress);
            } finally {
                progress.end();
            }
            double secs = (System.nanoTime() - start) / 1e9;
            out.printf("wrote %s/%s/{model.onnx,model.json}: %,d parameters, %.1f s, peak heap %s MB%n",
                    o.out, def.id(), meta.parameterCount(), secs, peakHeapMb());
        }
    }

    private static long peakHeapMb() {
        long peak = 0;
        for (var pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == java.lang.management.MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak >> 20;
    }

    static final class Options {
        boolean list;
        boolean help;
        List<String> models = new ArrayList<>();
        Path weights;
        long seed;
        Path out = Path.of("models");

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--list" -> o.list = true;
                    case "--help", "-h" -> o.help = true;
                    case "--model" -> {
                        for (String id : value(args, ++i, a).split(",")) {
                            if (!id.isBlank()) {
                                o.models.add(id.trim());
                            }
                        }
                    }
                    case "--weights" -> o.weights = Path.of(value(args, ++i, a));
                    case "--seed" -> {
                        String v = value(args, ++i, a);
                        try {
                            o.seed = Long.parseLong(v);
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("--seed needs an integer, got '" + v + "'");
                        }
                    }
                    case "--out" -> o.out = Path.of(value(args, ++i, a));
                    default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
                }
            }
            if (!o.list && !o.help && o.models.isEmpty()) {
                throw new IllegalArgumentException("nothing to do: give --list or --model ID");
            }
            if (o.weights != null && o.models.size() > 1) {
                throw new IllegalArgumentException("--weights belongs to one model; give a single --model with it");
            }
            for (String id : o.models) {
                ModelRegistry.get(id); // fails early, naming the known ids
            }
            return o;
        }

        private static String value(String[] args, int i, String flag) {
            if (i >= args.length || args[i].startsWith("--")) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            return args[i];
        }
    }
}
