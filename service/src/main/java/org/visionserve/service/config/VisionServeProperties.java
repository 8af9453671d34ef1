package org.visionserve.service.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.visionserve.service.image.ImageLimits;

/**
 * Everything under {@code visionserve.*}. Per-model settings fall back to the model-wide defaults
 * ({@code visionserve.models.device}, ...); see {@link #settingsFor(String)}.
 */
@ConfigurationProperties("visionserve")
public record VisionServeProperties(@DefaultValue Models models, @DefaultValue Runtime runtime,
                                    @DefaultValue Limits limits, @DefaultValue Segmentation segmentation,
                                    @DefaultValue AdmissionSettings admission, @DefaultValue Deadlines deadlines) {

    /** Where the CUDA provider may be used. */
    public enum Device { CPU, CUDA }

    /** What to do when CUDA was asked for and cannot be bound. */
    public enum CudaFallback { CPU, FAIL }

    /**
     * @param dir            the model repository: one sub-directory per model with model.onnx and model.json
     * @param defaults       the models exported with seeded demo weights when the repository lacks them
     * @param exportDefaults whether that first-run export happens at all
     * @param settings       per model id: overrides of the defaults below
     * @param pollInterval   how often the repository is scanned for new, changed and removed models; 0 = never
     * @param concurrency    run slots per model (parallel session runs); 0 = auto: on CPU one per core, at most
     *                       {@link #AUTO_CPU_SLOTS}, each run with cores / slots intra-op threads (one run per core
     *                       beat one run over all cores by 20-30% in images/s here, see service/BENCHMARK.md); on
     *                       CUDA 1
     */
    public record Models(@DefaultValue("./models") Path dir,
                         @DefaultValue("inception_next_tiny,ivd_net") List<String> defaults,
                         @DefaultValue("true") boolean exportDefaults,
                         @DefaultValue("cpu") Device device,
                         @DefaultValue("cpu") CudaFallback cudaFallback,
                         @DefaultValue("0") int concurrency,
                         @DefaultValue("64") int queueCapacity,
                         @DefaultValue Batching batching,
                         Map<String, ModelSettings> settings,
                         @DefaultValue("0s") Duration pollInterval) {

        public Models {
            settings = settings == null ? Map.of() : Map.copyOf(settings);
        }
    }

    /**
     * Dynamic batching (Triton's): concurrent requests for a model share one run of up to
     * {@code maxBatchSize} items, gathered for at most {@code maxQueueDelayMicroseconds} after the
     * first while the model sees concurrent traffic, or run at once at a preferred size. 1 = off.
     * {@code tune}: a classifier's warm-up measures items/s at each batch size up to the maximum, with every
     * run slot busy, and batches grow only to the smallest size within 5% of the fastest (on a CPU, where
     * larger batches can run slower per item, often 1; on a GPU the largest).
     */
    public record Batching(@DefaultValue("8") int maxBatchSize,
                           @DefaultValue("2000") long maxQueueDelayMicroseconds,
                           List<Integer> preferredBatchSizes,
                           @DefaultValue("true") boolean tune) {
    }

    /**
     * Overrides for one model; a null field takes the model-wide default. {@code versionPolicy}: which
     * versions are served ({@link VersionPolicy}; default {@code latest:1}).
     */
    public record ModelSettings(Boolean enabled, Device device, CudaFallback cudaFallback, Integer concurrency,
                                Integer queueCapacity, Integer intraOpThreads, Integer interOpThreads,
                                Integer maxBatchSize, Long maxQueueDelayMicroseconds,
                                List<Integer> preferredBatchSizes, String versionPolicy) {
    }

    /**
     * ONNX Runtime options. {@code intraOpThreads} 0 means one per available processor divided among
     * a model's concurrent runs (at least 1), so parallel runs do not oversubscribe the host.
     * {@code allowSpinning}: ORT's intra-op threads busy-wait for more work after each run; that
     * helps back-to-back runs but takes the cores that decoding, preprocessing and HTTP need.
     * {@code loneRequestSession}: a CPU model with several run slots gets a second session using every
     * slot's threads, for a request that finds the model idle: a lone client gets the latency of all
     * cores, concurrent clients the throughput of one run per core.
     */
    public record Runtime(@DefaultValue("0") int intraOpThreads, @DefaultValue("1") int interOpThreads,
                          @DefaultValue("0") int cudaDeviceId, @DefaultValue("false") boolean allowSpinning,
                          @DefaultValue("true") boolean loneRequestSession) {
    }

    /**
     * Request limits. Multipart limits of the servlet container are derived from these in
     * application.yaml, so Tomcat refuses the same sizes (with the same problem response).
     * {@code maxImageAspectRatio}: long side over short side of an image, checked from its header
     * (see {@link ImageLimits}). A request body must arrive at {@code minUploadBytesPerSecond} on average
     * once {@code uploadGracePeriod} has passed since its first byte, and with no gap longer than
     * {@code uploadReadTimeout}, so slow clients cannot hold the server's threads.
     */
    public record Limits(@DefaultValue("20MB") DataSize maxImageBytes,
                         @DefaultValue("40000000") long maxImagePixels,
                         @DefaultValue("16") int maxBatchImages,
                         @DefaultValue("64MB") DataSize maxRequestBytes,
                         @DefaultValue("5") int defaultTopK,
                         @DefaultValue("100") int maxTopK,
                         @DefaultValue("256MB") DataSize maxVolumeBytes,
                         @DefaultValue("33554432") long maxVolumeVoxels,
                         @DefaultValue("262144") long maxSlicePixels,
                         @DefaultValue("100") int maxImageAspectRatio,
                         @DefaultValue("16384") long minUploadBytesPerSecond,
                         @DefaultValue("5s") Duration uploadGracePeriod,
                         @DefaultValue("10s") Duration uploadReadTimeout) {

        public ImageLimits imageLimits() {
            return new ImageLimits(maxImageBytes.toBytes(), maxImagePixels, maxImageAspectRatio);
        }
    }

    /**
     * The volume pipeline of segmentation models (POST /v1/models/{id}/segment).
     *
     * @param batchSize         slices per model run; on CPU larger batches are no faster per slice (IVD-Net,
     *                          256x256: 0.48 s per slice at 1, 2 or 4) but hold more memory, so the default is small
     * @param maxConcurrent     volume requests admitted to the pipeline at once (each holds its four decoded
     *                          volumes as floats, the mask and the per-voxel probabilities; all of them also
     *                          reserve that memory against visionserve.admission.memory-budget)
     * @param queueCapacity     volume requests waiting for a place, up to their deadline; beyond that 503
     *                          {@code overloaded} with a Retry-After from the observed service time
     * @param minDiscVolumeMm3  connected components of the mask below this volume are not reported as discs
     */
    public record Segmentation(@DefaultValue("2") int batchSize, @DefaultValue("1") int maxConcurrent,
                               @DefaultValue("2") int queueCapacity, @DefaultValue("100") double minDiscVolumeMm3) {
    }

    /**
     * {@code visionserve.admission.*}: the working memory all admitted requests may reserve together,
     * each estimated from its inputs' headers before decoding; 0 means 60% of the JVM's max heap
     * (which the image derives from the container's memory limit).
     */
    public record AdmissionSettings(@DefaultValue("0B") DataSize memoryBudget, @DefaultValue("0") int cpuSlots) {

        public long budgetBytes() {
            long b = memoryBudget.toBytes();
            return b > 0 ? b : org.visionserve.service.runtime.Admission.defaultBudget();
        }

        /** Requests decoding or resizing images at once; 0 means half the cores (at least one). */
        public int cpuSlots() {
            return cpuSlots > 0 ? cpuSlots : org.visionserve.service.runtime.Admission.defaultCpuSlots();
        }
    }

    /**
     * {@code visionserve.deadlines.*}: how long a request of each task may take at most, from its
     * arrival to its answer (504 beyond). A client may ask for less with a {@code Request-Timeout}
     * header (seconds) or a {@code timeout} query parameter, never for more.
     */
    public record Deadlines(@DefaultValue("30s") Duration classify, @DefaultValue("120s") Duration recognize,
                            @DefaultValue("300s") Duration segment) {
    }

    /** The effective settings of one model. */
    public record EffectiveSettings(boolean enabled, Device device, CudaFallback cudaFallback, int concurrency,
                                    int queueCapacity, int intraOpThreads, int interOpThreads, int cudaDeviceId,
                                    boolean allowSpinning, int maxBatchSize, long maxQueueDelayMicroseconds,
                                    List<Integer> preferredBatchSizes, boolean tuneBatchSize,
                                    int loneRequestThreads) {

        /** These settings with {@code threads} intra-op threads: the lone-request session's. */
        public EffectiveSettings withIntraOpThreads(int threads) {
            return new EffectiveSettings(enabled, device, cudaFallback, concurrency, queueCapacity, threads,
                    interOpThreads, cudaDeviceId, allowSpinning, maxBatchSize, maxQueueDelayMicroseconds,
                    preferredBatchSizes, tuneBatchSize, loneRequestThreads);
        }
    }

    /** The most run slots {@code concurrency: 0} gives a CPU model: each holds its own activations. */
    public static final int AUTO_CPU_SLOTS = 4;

    public EffectiveSettings settingsFor(String modelId) {
        ModelSettings s = models.settings().get(modelId);
        if (s == null) {
            s = new ModelSettings(null, null, null, null, null, null, null, null, null, null, null);
        }
        Batching b = models.batching();
        List<Integer> preferred = or(s.preferredBatchSizes(), b.preferredBatchSizes());
        if (preferred == null) {
            preferred = List.of();
        }
        Device device = or(s.device(), models.device());
        int cores = java.lang.Runtime.getRuntime().availableProcessors();
        int concurrency = or(s.concurrency(), models.concurrency());
        if (concurrency <= 0) {
            concurrency = device == Device.CUDA ? 1 : Math.min(cores, AUTO_CPU_SLOTS);
        }
        int intra = or(s.intraOpThreads(), runtime.intraOpThreads());
        if (intra <= 0) {
            intra = Math.max(1, cores / concurrency);
        }
        // CUDA runs on the device whatever the threads; the CPU fallback keeps the slot layout only.
        int lone = runtime.loneRequestSession() && device == Device.CPU && concurrency > 1
                ? Math.min(cores, concurrency * intra) : 0;
        return new EffectiveSettings(or(s.enabled(), true), device,
                or(s.cudaFallback(), models.cudaFallback()), concurrency,
                Math.max(0, or(s.queueCapacity(), models.queueCapacity())), intra,
                Math.max(1, or(s.interOpThreads(), runtime.interOpThreads())), runtime.cudaDeviceId(),
                runtime.allowSpinning(), Math.max(1, or(s.maxBatchSize(), b.maxBatchSize())),
                Math.max(0, or(s.maxQueueDelayMicroseconds(), b.maxQueueDelayMicroseconds())), List.copyOf(preferred),
                b.tune(), lone > intra ? lone : 0);
    }

    /**
     * The model's version policy.
     *
     * @throws IllegalArgumentException if the configured one cannot be read
     */
    public VersionPolicy versionPolicyFor(String modelId) {
        ModelSettings s = models.settings().get(modelId);
        return VersionPolicy.parse(s == null ? null : s.versionPolicy());
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
