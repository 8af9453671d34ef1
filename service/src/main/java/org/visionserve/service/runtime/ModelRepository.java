package org.visionserve.service.runtime;

import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.regex.Pattern;
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
import org.visionserve.service.config.VersionPolicy;
import org.visionserve.service.config.VisionServeProperties.Device;
import org.visionserve.service.config.VisionServeProperties.EffectiveSettings;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.metrics.ServiceMetrics;

/**
 * The model repository: every sub-directory of {@code visionserve.models.dir} holding a
 * {@code model.json}, or numbered version folders ({@code MODEL/2/model.json}) is a model, served under
 * the directory's name; a flat {@code MODEL/model.json} is version 1 (unless {@code MODEL/1/} exists).
 * Each model's version policy says which versions load. Models are loaded in the background once the
 * application starts (so liveness answers at once); each version gets one session on its configured
 * device, one runner, and one warm-up inference before it counts as ready. A model that fails is kept
 * with its reason and the others still serve.
 *
 * <p>Lifecycle operations (the start-up load, {@link #load}, {@link #unload}, the poller) run one at a
 * time, so at most one session is being built beside the serving ones. A reload builds the new session
 * beside the old and swaps it in once warmed up; requests hold the session they started on through a
 * {@link ModelLease} and the old one closes with its last request. Every management action is one line
 * on the {@code visionserve.audit} logger.
 */
@Component
public class ModelRepository implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ModelRepository.class);
    private static final Logger audit = LoggerFactory.getLogger("visionserve.audit");
    /** A warm-up run slower than this means the model is unusable on this host. */
    private static final Duration WARM_UP_TIMEOUT = Duration.ofMinutes(10);
    /** A model id is a folder name: no separators, no dot first (so neither {@code .} nor {@code ..}). */
    private static final Pattern MODEL_ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");
    private static final Pattern VERSION_DIR = Pattern.compile("[1-9][0-9]{0,8}");
    static final String POLLER = "poller";
    /** Every state a version can be in, for its state gauge. */
    private static final List<String> STATES = Arrays.stream(ModelStatus.values()).map(ModelStatus::id).toList();

    /** The result of a lifecycle operation: success, or what went wrong (for the caller and the audit line). */
    public record Outcome(boolean ok, String message) {
    }

    /** One line of the repository index: a model's version (null when none was found) and its state. */
    public record IndexEntry(String name, Integer version, ModelStatus state, String reason) {
    }

    private final VisionServeProperties props;
    private final ServiceMetrics metrics;
    private final Admission admission;
    private final Map<String, ServedModel> models = new ConcurrentSkipListMap<>();
    /** One lifecycle operation at a time. */
    private final ReentrantLock lifecycle = new ReentrantLock();
    /** Closes replaced and unloaded sessions once their last request ended, off the request threads. */
    private volatile ExecutorService closer;
    /** The poller's view: what was applied per model, and what the previous poll saw (poller thread only). */
    private final Map<String, String> applied = new ConcurrentHashMap<>();
    private final Map<String, String> seen = new ConcurrentHashMap<>();
    private volatile boolean scanned;
    private volatile boolean startupDone;
    private volatile boolean running;
    private Thread loader;
    private ScheduledExecutorService poller;

    public ModelRepository(VisionServeProperties props, ServiceMetrics metrics, Admission admission) {
        this.props = props;
        this.metrics = metrics;
        this.admission = admission;
    }

    /**
     * The model's admission pool, shared by its versions (a reload does not double it): per run slot, the
     * batch running and the next one decoding meanwhile (so at saturation a full batch is ready when a run
     * ends), one request per core besides, and {@code queue-capacity} waiting. Heavy inputs are bounded
     * by the memory budget, not by this.
     */
    static Admission.Limits admissionLimits(String id, EffectiveSettings s) {
        return admissionLimits(id, s, s.maxBatchSize());
    }

    /** Per run slot the running batch and the next one (of {@code batch} items), plus one request per core decoding. */
    static Admission.Limits admissionLimits(String id, EffectiveSettings s, int batch) {
        return new Admission.Limits(2 * s.concurrency() * batch + Runtime.getRuntime().availableProcessors(),
                s.queueCapacity(), "visionserve.models.settings." + id + ".concurrency / .queue-capacity");
    }

    /** Every model found, ready or not, by id. */
    public Collection<ServedModel> all() {
        return models.values();
    }

    public ServedModel get(String id) {
        ServedModel m = id == null ? null : models.get(id);
        if (m == null) {
            throw new UnknownModelException(id);
        }
        return m;
    }

    /** True if the id names a model of the repository (used to keep metric labels bounded). */
    public boolean contains(String id) {
        return id != null && models.containsKey(id);
    }

    /** The model, which must have a version serving (for inspection; requests {@link #acquire} one). */
    public ServedModel ready(String id) {
        ServedModel m = get(id);
        if (m.status() != ModelStatus.READY) {
            throw new ModelUnavailableException(m);
        }
        return m;
    }

    /**
     * A hold on a serving version of the model, {@code version} or (null) the highest serving one; the
     * session stays open until the lease is closed, whatever reloads or unloads meanwhile.
     *
     * @throws UnknownModelException     no such model, or no such version of it (404)
     * @throws ModelUnavailableException it does not serve now: loading, failed, disabled, unloaded
     */
    public ModelLease acquire(String id, Integer version) {
        ServedModel m = get(id);
        if (m.status() == ModelStatus.DISABLED) {
            throw new ModelUnavailableException(m);
        }
        if (version == null) {
            ModelLease lease = m.leaseLatest();
            if (lease == null) {
                throw new ModelUnavailableException(m);
            }
            return lease;
        }
        ModelVersion v = m.version(version);
        if (v == null) {
            throw new UnknownModelException(id, version);
        }
        ModelLease lease = v.lease();
        if (lease == null) {
            throw new ModelUnavailableException(m, v);
        }
        return lease;
    }

    /** True once the repository was scanned and every enabled model was loaded (or failed) at start-up. */
    public boolean loadingDone() {
        return scanned && startupDone;
    }

    /** Every model and version with its state (Triton's repository index), ready ones only if asked. */
    public List<IndexEntry> index(boolean readyOnly) {
        List<IndexEntry> entries = new ArrayList<>();
        for (ServedModel m : models.values()) {
            if (m.status() == ModelStatus.DISABLED) {
                entries.add(new IndexEntry(m.id(), null, ModelStatus.DISABLED, "disabled by configuration"));
            } else if (m.versions().isEmpty()) {
                entries.add(new IndexEntry(m.id(), null, m.status(), m.error()));
            } else {
                for (ModelVersion v : m.versions()) {
                    entries.add(new IndexEntry(m.id(), v.number(), v.status(), v.reason()));
                }
            }
        }
        return readyOnly ? entries.stream().filter(e -> e.state() == ModelStatus.READY).toList() : entries;
    }

    /**
     * Loads the model, or reloads it if loaded (Triton's load): its folder is read again, the versions its
     * policy selects are each loaded beside what serves and swapped in once warmed up, and versions it no
     * longer selects are unloaded. Returns when done.
     *
     * @param who the caller, for the audit line
     */
    public Outcome load(String id, String who) {
        return audited("load", id, who, () -> {
            ServedModel m = discover(id);
            if (m == null) {
                return new Outcome(false, "no model '" + id + "' in the repository " + root());
            }
            Outcome o = loadModel(m, false);
            applied.put(id, snapshot(m.dir()));
            return o;
        });
    }

    /**
     * Unloads every version of the model (Triton's unload): new requests are refused at once, those in
     * flight finish on their session, which is closed after them. Returns without waiting for them.
     */
    public Outcome unload(String id, String who) {
        return audited("unload", id, who, () -> {
            ServedModel m = models.get(id);
            if (m == null) {
                return new Outcome(false, "no model '" + id + "' in the repository");
            }
            unloadModel(m, "unloaded");
            return new Outcome(true, "unloaded");
        });
    }

    private Outcome audited(String action, String id, String who, Supplier<Outcome> op) {
        long start = System.nanoTime();
        Outcome o;
        lifecycle.lock();
        try {
            o = op.get();
        } catch (RuntimeException e) {
            o = new Outcome(false, e.toString());
            log.error("{} of model {} failed", action, id, e);
        } finally {
            lifecycle.unlock();
        }
        ServedModel m = models.get(id);
        String versions = m == null ? "" : String.join(",", m.versions().stream()
                .map(v -> v.number() + ":" + v.status().id()).toList());
        audit.info("action={} model={} by={} outcome={} versions=[{}] ms={} at={} detail=\"{}\"", action, id, who,
                o.ok() ? "ok" : "failed", versions, (System.nanoTime() - start) / 1_000_000, Instant.now(),
                o.message() == null ? "" : o.message().replace('"', '\''));
        return o;
    }

    /**
     * Loads the repository in the background. Also after {@link #stop()}: a paused test context is
     * restarted, and then everything is read and loaded again, readiness DOWN meanwhile.
     */
    @Override
    public void start() {
        running = true;
        scanned = false;
        startupDone = false;
        models.clear();
        applied.clear();
        seen.clear();
        closer = Executors.newSingleThreadExecutor(r -> daemon(r, "model-closer"));
        loader = daemon(this::startup, "model-loader");
        loader.start();
    }

    @Override
    public void stop() {
        running = false;
        if (poller != null) {
            poller.shutdownNow();
        }
        if (loader != null) {
            loader.interrupt();
            try {
                loader.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        lifecycle.lock();
        try {
            for (ServedModel m : models.values()) {
                for (ModelVersion v : m.versions()) {
                    v.unload("stopped", Runnable::run, () -> { });
                }
            }
        } finally {
            lifecycle.unlock();
        }
        closer.shutdown();
        try {
            closer.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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

    private Path root() {
        return props.models().dir().toAbsolutePath().normalize();
    }

    private void startup() {
        long start = System.nanoTime();
        Path dir = root();
        lifecycle.lock();
        try {
            try {
                exportDefaultsIfMissing(dir);
                for (Path modelDir : modelDirs(dir)) {
                    add(modelDir.getFileName().toString(), modelDir);
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
                applied.put(m.id(), snapshot(m.dir()));
                if (m.status() == ModelStatus.DISABLED) {
                    log.info("model {} is disabled by configuration", m.id());
                    metrics.registerModel(m.id(), "unknown", "none", "unknown", m.status().id(), -1);
                    continue;
                }
                loadModel(m, false);
            }
        } finally {
            startupDone = true;
            lifecycle.unlock();
        }
        long ready = models.values().stream().filter(m -> m.status() == ModelStatus.READY).count();
        log.info("model repository {}: {} of {} models ready in {} s", dir, ready, models.size(),
                String.format(Locale.ROOT, "%.2f", (System.nanoTime() - start) / 1e9));
        Duration interval = props.models().pollInterval();
        if (interval != null && !interval.isZero() && !interval.isNegative() && running) {
            poller = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "model-poller"));
            poller.scheduleWithFixedDelay(this::pollSafely, interval.toMillis(), interval.toMillis(),
                    TimeUnit.MILLISECONDS);
            log.info("polling the model repository every {}", interval);
        }
    }

    private ServedModel add(String id, Path modelDir) {
        VersionPolicy policy = null;
        String error = null;
        try {
            policy = props.versionPolicyFor(id);
        } catch (IllegalArgumentException e) {
            error = "visionserve.models.settings." + id + "." + e.getMessage();
        }
        ServedModel m = new ServedModel(id, modelDir, props.settingsFor(id), policy);
        m.error(error);
        models.put(id, m);
        metrics.registerQueueDepth(id, () -> {
            ServedModel current = models.get(id);
            return current == null ? 0 : current.queueDepth();
        });
        return m;
    }

    /** The model of that id, found in the repository now if it was not before (Triton loads new folders). */
    private ServedModel discover(String id) {
        ServedModel m = models.get(id);
        if (m != null) {
            return m;
        }
        if (id == null || !MODEL_ID.matcher(id).matches()) {
            return null;
        }
        Path dir = root().resolve(id);
        try {
            if (versionDirs(dir).isEmpty()) {
                return null;
            }
        } catch (IOException e) {
            return null;
        }
        return add(id, dir);
    }

    /**
     * Reads the model's folder and loads the versions its policy selects ({@code changedOnly}: only those
     * not serving yet or whose files changed), highest first, each swapped in once ready; then unloads the
     * versions no longer selected or gone. Holding the lifecycle lock.
     */
    private Outcome loadModel(ServedModel m, boolean changedOnly) {
        if (!m.settings().enabled()) {
            return new Outcome(false, "model '" + m.id() + "' is disabled (visionserve.models.settings." + m.id()
                    + ".enabled=false)");
        }
        if (m.policy() == null) {
            log.error("model {} cannot load: {}", m.id(), m.error());
            return new Outcome(false, m.error());
        }
        Map<Integer, Path> found;
        try {
            found = versionDirs(m.dir());
        } catch (IOException e) {
            found = Map.of();
        }
        Map<Integer, ModelVersion> versions = m.versionMap();
        m.unloaded(false);
        for (ModelVersion v : List.copyOf(versions.values())) {
            if (!found.containsKey(v.number())) {
                v.unload("removed from the repository", closer, () -> { });
                versions.remove(v.number());
            }
        }
        if (found.isEmpty()) {
            m.error("no model.json in " + m.dir() + " nor in a version folder under it");
            log.error("model {} cannot load: {}", m.id(), m.error());
            return new Outcome(false, m.error());
        }
        for (Map.Entry<Integer, Path> e : found.entrySet()) {
            ModelVersion v = versions.computeIfAbsent(e.getKey(), n -> {
                metrics.registerModelState(m.id(), n, () -> {
                    ServedModel current = models.get(m.id());
                    ModelVersion cv = current == null ? null : current.version(n);
                    return cv == null ? null : cv.status().id();
                }, STATES);
                return new ModelVersion(m.id(), n, e.getValue());
            });
            v.dir(e.getValue());
        }
        SortedSet<Integer> selected = m.policy().select(found.keySet());
        if (selected.isEmpty()) {
            m.error("version-policy " + m.policy() + " selects none of the versions " + found.keySet());
        } else {
            m.error(null);
        }
        List<String> failures = new ArrayList<>();
        for (int n : new TreeSet<>(selected).descendingSet()) {
            ModelVersion v = versions.get(n);
            ModelVersion.Instance serving = v.instance();
            if (changedOnly && serving != null && serving.fingerprint.equals(fingerprint(v.dir()))) {
                continue;
            }
            String failure = loadVersion(m, v);
            if (failure != null) {
                failures.add("version " + n + ": " + failure + (v.instance() != null ? " (the loaded one serves on)" : ""));
            }
        }
        for (ModelVersion v : versions.values()) {
            if (!selected.contains(v.number())) {
                v.unload("not in version-policy " + m.policy(), closer, () -> { });
            }
        }
        if (m.error() != null) {
            failures.add(0, m.error());
        }
        boolean ok = failures.isEmpty() && m.serving() != null;
        return new Outcome(ok, ok ? "versions " + selected + " ready" : String.join("; ", failures));
    }

    /** Unloads every version (requests in flight finish first); holding the lifecycle lock. */
    private void unloadModel(ServedModel m, String why) {
        m.unloaded(true);
        for (ModelVersion v : m.versions()) {
            v.unload(why, closer, () -> log.info("model {} version {} closed", m.id(), v.number()));
        }
    }

    /** Loads one version beside what serves and swaps it in; the failure's reason, or null. */
    private String loadVersion(ServedModel m, ModelVersion v) {
        long start = System.nanoTime();
        EffectiveSettings s = m.settings();
        v.loading();
        try {
            ModelMetadata meta = ModelMetadata.read(v.dir().resolve(ModelMetadata.FILE_NAME));
            m.lastMetadata(meta);
            Path onnx = v.dir().resolve(ModelExporter.MODEL_FILE);
            if (!Files.isRegularFile(onnx)) {
                throw new IOException("missing " + onnx);
            }
            String fingerprint = fingerprint(v.dir());
            SessionFactory.Bound bound = SessionFactory.open(m.id(), onnx, s);
            // Not for a clip's ResNet streams: their 25 frames already fill every slot, and a second session
            // costs the weights once more. Images and a volume's slice runs (one after another) need it.
            OrtSession lone = null;
            if (bound.device() == Device.CPU && s.loneRequestThreads() > 0 && meta.task() != Task.ACTION_FEATURES) {
                try {
                    lone = SessionFactory.open(m.id(), onnx, s.withIntraOpThreads(s.loneRequestThreads())).session();
                } catch (Exception e) {
                    bound.session().close();
                    throw e;
                }
            }
            ModelRunner.Batching batching = new ModelRunner.Batching(s.maxBatchSize(), s.maxQueueDelayMicroseconds(),
                    s.preferredBatchSizes());
            ModelRunner runner = new ModelRunner(m.id(), bound.session(), lone, s.concurrency(), batching,
                    items -> metrics.recordBatchSize(m.id(), items));
            admission.define(m.id(), admissionLimits(m.id(), s));
            try {
                warmUp(runner, meta, s.tuneBatchSize());
            } catch (Exception e) {
                runner.close();
                throw e;
            }
            admission.define(m.id(), admissionLimits(m.id(), s, runner.batchLimit()));
            double secs = (System.nanoTime() - start) / 1e9;
            String device = bound.device().name().toLowerCase(Locale.ROOT);
            v.swap(new ModelVersion.Instance(runner, meta, bound.device(), bound.note(), secs, fingerprint), closer);
            metrics.registerModel(m.id(), meta.task().id(), device, weightsKind(meta), ModelStatus.READY.id(), secs);
            log.info("model {} version {} ready on {} in {} s ({} threads intra-op, concurrency {}, queue {}, "
                            + "max batch {}, delay {} us, weights {})",
                    m.id(), v.number(), device.toUpperCase(Locale.ROOT), String.format(Locale.ROOT, "%.2f", secs),
                    s.intraOpThreads(), s.concurrency(), s.queueCapacity(), s.maxBatchSize(),
                    s.maxQueueDelayMicroseconds(), weightsKind(meta));
            if (meta.weights() != null && meta.weights().isSeeded()) {
                log.warn("model {} serves SEEDED DEMO WEIGHTS, not trained: its predictions are meaningless", m.id());
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            v.failed("interrupted while loading");
            return "interrupted while loading";
        } catch (Exception e) {
            String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
            v.failed(reason);
            if (m.serving() == null) {
                ModelMetadata meta = m.metadata();
                metrics.registerModel(m.id(), meta == null ? "unknown" : meta.task().id(), "none",
                        meta == null ? "unknown" : weightsKind(meta), ModelStatus.FAILED.id(), -1);
            }
            log.error("model {} version {} failed to load, the others still serve: {}", m.id(), v.number(), reason);
            return reason;
        }
    }

    private void pollSafely() {
        try {
            poll();
        } catch (RuntimeException e) {
            log.error("polling the model repository failed", e);
        }
    }

    /**
     * One look at the repository: a new folder is loaded, a changed one (a version added or removed, files
     * rewritten) reloaded where it changed, a removed one unloaded and forgotten. A folder is acted on only
     * once it is complete (every version's model.json no older than its model.onnx, as the exporter writes
     * them) and looked the same on two polls in a row, so a copy in progress is not loaded half-written.
     * A model unloaded through the API stays unloaded until its files change.
     */
    void poll() {
        Path root = root();
        List<Path> dirs;
        try {
            dirs = modelDirs(root);
        } catch (IOException e) {
            log.warn("cannot list the model repository {}: {}", root, e.toString());
            return;
        }
        Map<String, Path> present = new LinkedHashMap<>();
        dirs.forEach(d -> present.put(d.getFileName().toString(), d));
        for (String id : List.copyOf(models.keySet())) {
            if (!present.containsKey(id)) {
                seen.remove(id);
                applied.remove(id);
                audited("unload", id, POLLER, () -> {
                    ServedModel m = models.remove(id);
                    if (m == null) {
                        return new Outcome(true, "already gone");
                    }
                    unloadModel(m, "removed from the repository");
                    return new Outcome(true, "folder removed from the repository");
                });
            }
        }
        for (Map.Entry<String, Path> e : present.entrySet()) {
            String id = e.getKey();
            if (!MODEL_ID.matcher(id).matches()) {
                continue;
            }
            String now = snapshot(e.getValue());
            String before = seen.put(id, now);
            if (now.equals(applied.get(id)) || !now.equals(before) || now.contains("!")) {
                continue; // unchanged, still changing, or incomplete
            }
            applied.put(id, now);
            audited("load", id, POLLER, () -> {
                boolean known = models.containsKey(id);
                ServedModel m = known ? models.get(id) : add(id, e.getValue());
                if (m.status() == ModelStatus.DISABLED) {
                    return new Outcome(false, "disabled by configuration");
                }
                return loadModel(m, known);
            });
        }
    }

    /**
     * The versions of a model folder: numbered sub-folders holding a model.json, and the folder itself as
     * version 1 when it holds one and has no {@code 1/}.
     */
    static Map<Integer, Path> versionDirs(Path modelDir) throws IOException {
        Map<Integer, Path> versions = new TreeMap<>();
        if (!Files.isDirectory(modelDir)) {
            return versions;
        }
        try (Stream<Path> s = Files.list(modelDir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (VERSION_DIR.matcher(name).matches() && Files.isRegularFile(p.resolve(ModelMetadata.FILE_NAME))) {
                    versions.put(Integer.parseInt(name), p);
                }
            }
        }
        if (!versions.containsKey(1) && Files.isRegularFile(modelDir.resolve(ModelMetadata.FILE_NAME))) {
            versions.put(1, modelDir);
        }
        return versions;
    }

    /** Size and modification time of a version's two files; "!" when model.onnx is missing or newer than model.json. */
    static String fingerprint(Path versionDir) {
        try {
            Path onnx = versionDir.resolve(ModelExporter.MODEL_FILE);
            Path json = versionDir.resolve(ModelMetadata.FILE_NAME);
            if (!Files.isRegularFile(onnx)) {
                return "!";
            }
            long onnxTime = Files.getLastModifiedTime(onnx).toMillis();
            long jsonTime = Files.getLastModifiedTime(json).toMillis();
            return Files.size(onnx) + "@" + onnxTime + "/" + Files.size(json) + "@" + jsonTime
                    + (jsonTime < onnxTime ? "!" : "");
        } catch (IOException e) {
            return "!";
        }
    }

    /** Every version of a model folder with its fingerprint: what the poller compares. */
    static String snapshot(Path modelDir) {
        try {
            StringBuilder b = new StringBuilder();
            for (Map.Entry<Integer, Path> e : versionDirs(modelDir).entrySet()) {
                b.append(e.getKey()).append('=').append(fingerprint(e.getValue())).append(';');
            }
            return b.toString();
        } catch (IOException e) {
            return "!";
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
    private static void warmUp(ModelRunner runner, ModelMetadata meta, boolean tune) throws InterruptedException {
        long[] shape = warmUpShape(meta);
        SortedSet<Integer> sizes = new TreeSet<>(List.of((int) shape[0]));
        boolean batches = meta.task() == Task.CLASSIFICATION && meta.inputs().get(0).shape()[0] < 0
                && runner.batching().enabled();
        if (batches) {
            sizes.addAll(tune ? BatchTuning.candidates(runner.batching().maxBatchSize(),
                    runner.batching().preferredBatchSizes()) : List.of(runner.batching().maxBatchSize()));
            sizes.addAll(runner.batching().preferredBatchSizes());
        }
        for (int size : sizes) {
            shape[0] = size;
            try (RequestScope scope = RequestScope.withTimeout(WARM_UP_TIMEOUT)) {
                runner.warmUp(DirectBuffers.zeros(shape), shape, scope);
            }
        }
        if (batches && tune) {
            try (RequestScope scope = RequestScope.withTimeout(WARM_UP_TIMEOUT)) {
                BatchTuning t = BatchTuning.tune(runner, shape, scope);
                log.info("model {}: items/s by batch size with {} run slots busy {}: batches of at most {}",
                        meta.id(), runner.concurrency(), t.itemsPerSecond().entrySet().stream()
                                .map(e -> e.getKey() + ":" + String.format(Locale.ROOT, "%.1f", e.getValue()))
                                .toList(), t.limit());
            }
        }
    }

    static String weightsKind(ModelMetadata meta) {
        return meta.weights() == null ? "unknown" : meta.weights().source();
    }

    /** The model folders of the repository: those with a model.json or a version folder holding one. */
    private static List<Path> modelDirs(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                if (!versionDirs(p).isEmpty()) {
                    found.add(p);
                }
            }
        }
        return found;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
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
