package org.visionserve.service.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.visionserve.export.ModelExporter;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.models.ModelDef;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.models.Task;
import org.visionserve.export.weights.SeededWeights;
import org.visionserve.service.config.VisionServeProperties.EffectiveSettings;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.metrics.ServiceMetrics;

/**
 * The model repository: every sub-directory of {@code visionserve.models.dir} holding a
 * {@code model.json} is a model, served under the directory's name. Models are loaded in the
 * background once the application starts (so liveness answers at once); each gets one session on
 * its configured device, one runner, and one warm-up inference before it counts as ready. A model
 * that fails is kept with its reason and the others still serve.
 */
@Component
public class ModelRepository implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ModelRepository.class);
    /** A warm-up run slower than this means the model is unusable on this host. */
    private static final Duration WARM_UP_TIMEOUT = Duration.ofMinutes(10);

    private final VisionServeProperties props;
    private final ServiceMetrics metrics;
    private final Admission admission;
    private final Map<String, ServedModel> models = new ConcurrentSkipListMap<>();
    private volatile boolean scanned;
    private volatile boolean running;
    private Thread loader;

    public ModelRepository(VisionServeProperties props, ServiceMetrics metrics, Admission admission) {
        this.props = props;
        this.metrics = metrics;
        this.admission = admission;
    }

    /**
     * The model's admission pool: per run slot, the batch running and the next one decoding meanwhile
     * (so at saturation a full batch is ready when a run ends), one request per core besides, and
     * {@code queue-capacity} waiting. Heavy inputs are bounded by the memory budget, not by this.
     */
    static Admission.Limits admissionLimits(String id, EffectiveSettings s) {
        return new Admission.Limits(2 * s.concurrency() * s.maxBatchSize() + Runtime.getRuntime().availableProcessors(),
                s.queueCapacity(), "visionserve.models.settings." + id + ".concurrency / .queue-capacity");
    }

    /** Every model found, ready or not, by id. */
    public Collection<ServedModel> all() {
        return models.values();
    }

    public ServedModel get(String id) {
        ServedModel m = models.get(id);
        if (m == null) {
            throw new UnknownModelException(id);
        }
        return m;
    }

    /** True if the id names a model of the repository (used to keep metric labels bounded). */
    public boolean contains(String id) {
        return id != null && models.containsKey(id);
    }

    /** The model, which must be ready to serve. */
    public ServedModel ready(String id) {
        ServedModel m = get(id);
        if (m.status() != ModelStatus.READY) {
            throw new ModelUnavailableException(m);
        }
        return m;
    }

    /** True once the repository was scanned and every enabled model is loaded (or failed). */
    public boolean loadingDone() {
        return scanned && models.values().stream().noneMatch(m -> m.status() == ModelStatus.LOADING);
    }

    @Override
    public void start() {
        running = true;
        loader = new Thread(this::loadAll, "model-loader");
        loader.setDaemon(true);
        loader.start();
    }

    @Override
    public void stop() {
        running = false;
        if (loader != null) {
            loader.interrupt();
            try {
                loader.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (ServedModel m : models.values()) {
            if (m.runner() != null) {
                m.runner().close();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Starts before the web server and stops after it, so in-flight requests finish on open sessions. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 4096;
    }

    private void loadAll() {
        long start = System.nanoTime();
        Path dir = props.models().dir().toAbsolutePath().normalize();
        try {
            exportDefaultsIfMissing(dir);
            for (Path modelDir : modelDirs(dir)) {
                String id = modelDir.getFileName().toString();
                models.put(id, new ServedModel(id, modelDir, props.settingsFor(id)));
            }
        } catch (IOException | RuntimeException e) {
            log.error("cannot read the model repository {}: {}", dir, e.toString());
        } finally {
            scanned = true;
        }
        if (models.isEmpty()) {
            log.error("no models in {}: readiness stays DOWN. Export one with the model-export CLI "
                    + "(see docs/SERVICE.md) or enable visionserve.models.export-defaults", dir);
        }
        for (ServedModel m : models.values()) {
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
            if (m.status() == ModelStatus.DISABLED) {
                log.info("model {} is disabled by configuration", m.id());
                metrics.registerModel(m.id(), "unknown", "none", "unknown", m.status().id(), -1);
                continue;
            }
            load(m);
        }
        long ready = models.values().stream().filter(m -> m.status() == ModelStatus.READY).count();
        log.info("model repository {}: {} of {} models ready in {} s", dir, ready, models.size(),
                String.format(Locale.ROOT, "%.2f", (System.nanoTime() - start) / 1e9));
    }

    private void load(ServedModel m) {
        long start = System.nanoTime();
        EffectiveSettings s = m.settings();
        try {
            ModelMetadata meta = ModelMetadata.read(m.dir().resolve(ModelMetadata.FILE_NAME));
            m.metadata(meta);
            Path onnx = m.dir().resolve(ModelExporter.MODEL_FILE);
            if (!Files.isRegularFile(onnx)) {
                throw new IOException("missing " + onnx);
            }
            SessionFactory.Bound bound = SessionFactory.open(m.id(), onnx, s);
            ModelRunner.Batching batching = new ModelRunner.Batching(s.maxBatchSize(), s.maxQueueDelayMicroseconds(),
                    s.preferredBatchSizes());
            ModelRunner runner = new ModelRunner(m.id(), bound.session(), s.concurrency(), batching,
                    items -> metrics.recordBatchSize(m.id(), items));
            admission.define(m.id(), admissionLimits(m.id(), s));
            try {
                warmUp(runner, meta);
            } catch (Exception e) {
                runner.close();
                throw e;
            }
            double secs = (System.nanoTime() - start) / 1e9;
            String device = bound.device().name().toLowerCase(Locale.ROOT);
            m.ready(runner, bound.device(), bound.note(), secs);
            metrics.registerQueueDepth(m.id(), runner::queueDepth);
            metrics.registerModel(m.id(), meta.task().id(), device, weightsKind(meta), m.status().id(), secs);
            log.info("model {} ready on {} in {} s ({} threads intra-op, concurrency {}, queue {}, max batch {}, "
                            + "delay {} us, weights {})",
                    m.id(), device.toUpperCase(Locale.ROOT), String.format(Locale.ROOT, "%.2f", secs),
                    s.intraOpThreads(), s.concurrency(), s.queueCapacity(), s.maxBatchSize(),
                    s.maxQueueDelayMicroseconds(), weightsKind(meta));
            if (meta.weights() != null && meta.weights().isSeeded()) {
                log.warn("model {} serves SEEDED DEMO WEIGHTS, not trained: its predictions are meaningless", m.id());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            m.failed("interrupted while loading");
        } catch (Exception e) {
            String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
            m.failed(reason);
            metrics.registerModel(m.id(), m.metadata() == null ? "unknown" : m.metadata().task().id(), "none",
                    m.metadata() == null ? "unknown" : weightsKind(m.metadata()), m.status().id(), -1);
            log.error("model {} failed to load, the others still serve: {}", m.id(), reason);
        }
    }

    /**
     * One inference on a zero image, so the first request does not pay for lazy allocations. A dynamic
     * batch becomes 1; dynamic slice height and width (IVD-Net) the model's native slice size, which is
     * also the only size such a graph is certain to accept (1x1 would fail its pooling and crops).
     */
    static long[] warmUpShape(ModelMetadata meta) {
        long[] shape = meta.inputs().get(0).shape().clone();
        int[] slice = meta.sliceInput() == null ? null : meta.sliceInput().nativeSize();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                shape[i] = slice != null && i >= shape.length - 2 ? slice[i - (shape.length - 2)] : 1;
            }
        }
        return shape;
    }

    /**
     * Warms up the batch sizes a classifier's batcher will run, its largest and preferred ones besides 1
     * (Triton's model_warmup): ONNX Runtime sizes its buffers per shape on first use, so the first full
     * batch under load is not the slow one. Other tasks' runs are sized by their pipelines (slices per
     * run, frames per stream run), where a full batch of zeros would cost seconds at start: size 1.
     */
    private static void warmUp(ModelRunner runner, ModelMetadata meta) throws InterruptedException {
        long[] shape = warmUpShape(meta);
        SortedSet<Integer> sizes = new TreeSet<>(List.of((int) shape[0]));
        if (meta.task() == Task.CLASSIFICATION && meta.inputs().get(0).shape()[0] < 0) {
            sizes.add(runner.batching().maxBatchSize());
            sizes.addAll(runner.batching().preferredBatchSizes());
        }
        for (int size : sizes) {
            shape[0] = size;
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            FloatBuffer input = ByteBuffer.allocateDirect(Math.toIntExact(n * Float.BYTES))
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
            try (RequestScope scope = RequestScope.withTimeout(WARM_UP_TIMEOUT)) {
                runner.infer(input, shape, scope);
            }
        }
    }

    static String weightsKind(ModelMetadata meta) {
        return meta.weights() == null ? "unknown" : meta.weights().source();
    }

    private static List<Path> modelDirs(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p.resolve(ModelMetadata.FILE_NAME))).sorted().toList();
        }
    }

    /**
     * First run: export each default model the repository lacks with seeded demo weights, so the
     * service has something to serve (also a default added by an upgrade), and say loudly that
     * these are not trained. A model already there, trained or not, is never touched.
     */
    private void exportDefaultsIfMissing(Path dir) throws IOException {
        List<String> missing = props.models().defaults().stream()
                .filter(id -> !Files.isRegularFile(dir.resolve(id).resolve(ModelMetadata.FILE_NAME)))
                .toList();
        if (!props.models().exportDefaults() || missing.isEmpty()) {
            return;
        }
        log.warn("""

                ************************************************************************
                  {} lacks the default models {}.
                  Exporting them now with SEEDED DEMO WEIGHTS (seed 0): NOT TRAINED,
                  their predictions are meaningless. To serve real weights, export a timm
                  checkpoint with the model-export CLI (see docs/SERVICE.md).
                ************************************************************************""", dir, missing);
        Files.createDirectories(dir);
        List<String> failed = new ArrayList<>();
        for (String id : missing) {
            ModelDef def = ModelRegistry.find(id).orElse(null);
            if (def == null) {
                failed.add(id + " (not a known model)");
                continue;
            }
            long start = System.nanoTime();
            try (SeededWeights weights = new SeededWeights(0)) {
                ModelMetadata meta = ModelExporter.export(def, weights, dir, (key, n) -> { });
                log.warn("exported {} with seeded demo weights to {} ({} parameters, {} s)", id, dir.resolve(id),
                        meta.parameterCount(), String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9));
            } catch (IOException | RuntimeException e) {
                failed.add(id + " (" + e + ")");
            }
        }
        if (!failed.isEmpty()) {
            log.error("first-run export failed for {}", failed);
        }
    }
}
