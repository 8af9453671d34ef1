package org.visionserve.service.action;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Service;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.models.Preprocessing;
import org.visionserve.export.models.Task;
import org.visionserve.service.action.RecognitionResult.ClipInfo;
import org.visionserve.service.action.RecognitionResult.ClipModels;
import org.visionserve.service.action.RecognitionResult.ClipTimings;
import org.visionserve.service.action.RecognitionResult.ModelUse;
import org.visionserve.service.action.RecognitionResult.TimelineSegment;
import org.visionserve.service.action.RecognitionResult.StreamScores;
import org.visionserve.service.config.ActionProperties;
import org.visionserve.service.metrics.ServiceMetrics;
import org.visionserve.service.pipeline.InvalidParameterException;
import org.visionserve.service.pipeline.Prediction;
import org.visionserve.service.pipeline.Stage;
import org.visionserve.service.pipeline.StageTimer;
import org.visionserve.service.pipeline.TopK;
import org.visionserve.service.pipeline.WrongTaskException;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.DirectBuffers;
import org.visionserve.service.runtime.ModelLease;
import org.visionserve.service.runtime.ModelRepository;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.runtime.ModelRunner;
import org.visionserve.service.runtime.UnknownModelException;

/**
 * The clip pipeline behind {@code POST /v1/models/{head}/recognize}: decode, sample, optical flow and
 * stream tensors ({@link ClipPipeline}), the RGB and flow ResNets through their models' runners (in
 * sub-batches of {@code stream-batch} frames), the {@code [1, 25, 4096]} feature matrix through the
 * head's runner, and the baseline and per-stream scores from the ResNets' logits.
 *
 * <p>One request lifecycle: the clip is measured from its container's (or its frames') headers and
 * refused over a limit before anything is decoded; it is then admitted into the {@value #POOL} pool
 * of {@link Admission} by the working memory its shape implies ({@link ClipPipeline#workingBytes}), at
 * most {@code concurrency} at once and {@code queue-capacity} waiting (beyond that 503 with
 * Retry-After); every stage (decode loops, each flow pair and tensor task, each ResNet and head run)
 * stops when the request's scope ends. Each request's direct buffers are freed when it ends.
 */
@Service
public class ActionRecognitionService implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ActionRecognitionService.class);

    /** The clips' admission pool: {@code pipeline/clips}. */
    public static final String POOL = Admission.PIPELINE_PREFIX + "clips";

    /** The progress stage of the two ResNet streams, in frames (25 RGB then 25 flow stacks) of one sampling. */
    public static final String FRAMES_STAGE = "frames";

    private static final int POINTS = FrameSampling.POINTS;
    private static final int RGB_FRAME = 3 * ClipTensors.PLANE;
    private static final int FLOW_FRAME = 2 * FrameSampling.STACK * ClipTensors.PLANE;

    private final ModelRepository repository;
    private final ServiceMetrics metrics;
    private final ActionProperties props;
    /**
     * Started off the request threads: loading FFmpeg's and OpenCV's natives takes seconds (and JavaCPP
     * unpacks ~183 MB of them into its cache the first time). Started once the repository is loaded
     * if it serves an action-recognition head ({@code preload-natives}), else by the first clip request.
     */
    private CompletableFuture<ClipPipeline> pipeline;
    private final Admission admission;

    public ActionRecognitionService(ModelRepository repository, ServiceMetrics metrics, ActionProperties props,
                                    Admission admission) {
        this.repository = repository;
        this.metrics = metrics;
        this.props = props;
        this.admission = admission;
        admission.define(POOL, new Admission.Limits(props.concurrency(), props.queueCapacity(),
                ActionProperties.PREFIX + "concurrency / queue-capacity"));
        if (props.preloadNatives()) {
            Thread watcher = new Thread(this::startWhenAHeadIsServed, "clip-pipeline-watch");
            watcher.setDaemon(true);
            watcher.start();
        }
    }

    /** The request's flow method, or the head's configured default when it names none. */
    public FlowMethod flowMethod(String headId, String requested) {
        if (requested == null || requested.isBlank()) {
            return props.flowFor(headId);
        }
        return switch (requested.toLowerCase(Locale.ROOT)) {
            case "tvl1", "tv-l1" -> FlowMethod.TVL1;
            case "farneback" -> FlowMethod.FARNEBACK;
            default -> throw new InvalidParameterException("flow", "flow must be tvl1 or farneback, got '"
                    + requested + "'");
        };
    }

    /** Recognises the action in a video file (MP4, MOV, WebM, AVI). */
    public RecognitionResult recognizeVideo(String headId, byte[] video, FlowMethod flow, int topK, RequestScope scope)
            throws InterruptedException {
        return recognizeVideo(headId, null, video, flow, topK, null, scope);
    }

    /**
     * As above; with {@code segmentSeconds} (the raw parameter, null for none) also a timeline of windows
     * of that many seconds, each with its own predictions ({@link Timeline}).
     */
    public RecognitionResult recognizeVideo(String headId, byte[] video, FlowMethod flow, int topK,
                                            String segmentSeconds, RequestScope scope) throws InterruptedException {
        return recognizeVideo(headId, null, video, flow, topK, segmentSeconds, scope);
    }

    /** As above with {@code version} of the head (null: its highest serving one). */
    public RecognitionResult recognizeVideo(String headId, Integer version, byte[] video, FlowMethod flow, int topK,
                                            String segmentSeconds, RequestScope scope) throws InterruptedException {
        double seconds = segmentSeconds == null ? 0 : Timeline.parse(segmentSeconds, props.timeline().limits(),
                ActionProperties.MIN_SEGMENT_SECONDS_KEY);
        return recognize(headId, version, flow, topK, seconds, scope, p -> p.decoder().measure(video),
                (p, shape) -> p.decoder().decode(video, shape, scope));
    }

    /** Recognises the action in frame images given in time order. */
    public RecognitionResult recognizeFrames(String headId, List<byte[]> frames, FlowMethod flow, int topK,
                                             RequestScope scope) throws InterruptedException {
        return recognizeFrames(headId, null, frames, flow, topK, scope);
    }

    /** As above with {@code version} of the head (null: its highest serving one). */
    public RecognitionResult recognizeFrames(String headId, Integer version, List<byte[]> frames, FlowMethod flow,
                                             int topK, RequestScope scope) throws InterruptedException {
        return recognize(headId, version, flow, topK, 0, scope, p -> p.decoder().measureImages(frames),
                (p, shape) -> p.decoder().decodeImages(frames, shape, scope));
    }

    /**
     * The head ({@code version}, or its highest serving one) and the two feature models (their highest
     * serving versions), each held for the whole request so a reload meanwhile does not touch them.
     */
    private RecognitionResult recognize(String headId, Integer version, FlowMethod flow, int topK,
                                        double segmentSeconds, RequestScope scope,
                                        Function<ClipPipeline, ClipShape> measure,
                                        BiFunction<ClipPipeline, ClipShape, DecodedClip> decode)
            throws InterruptedException {
        // Every model check before any work: a wrong id costs nothing.
        try (ModelLease head = repository.acquire(headId, version)) {
            if (head.metadata().task() != Task.ACTION_RECOGNITION) {
                throw new WrongTaskException(headId, head.metadata().task().id(), Task.ACTION_RECOGNITION.id());
            }
            try (ModelLease rgb = featureModel(props.rgbModel(), "rgb-model", 3);
                 ModelLease flowModel = featureModel(props.flowModel(), "flow-model", 2 * FrameSampling.STACK)) {
                return recognize(head, rgb, flowModel, flow, topK, segmentSeconds, scope, measure, decode);
            }
        }
    }

    /**
     * @param segmentSeconds the timeline's window length, 0 for none
     * @param measure        the upload measured from its headers (nothing decoded)
     * @param decode         the upload decoded within its measured shape
     */
    private RecognitionResult recognize(ModelLease head, ModelLease rgb, ModelLease flowModel, FlowMethod flow,
                                        int topK, double segmentSeconds, RequestScope scope,
                                        Function<ClipPipeline, ClipShape> measure,
                                        BiFunction<ClipPipeline, ClipShape, DecodedClip> decode)
            throws InterruptedException {
        String headId = head.id();
        StreamNormalization norm = normalization(rgb.metadata(), flowModel.metadata());
        Timeline.Limits timelineLimits = props.timeline().limits();

        String headDevice = device(head);
        StageTimer timer = new StageTimer(headId, headDevice);
        ClipPipeline pipeline = timer.time(Stage.QUEUE, this::pipeline); // its natives may still be loading
        // Measured from its headers and refused over a limit (413) before anything is decoded, then
        // admitted by the working memory its shape implies, before anything is decoded either. A
        // timeline's windows are counted from the declared length too (and again once decoded).
        ClipShape shape = timer.time(Stage.DECODE, () -> measure.apply(pipeline));
        if (segmentSeconds > 0 && shape.declaredFrames() > 0 && shape.fps() > 0) { // else counted once decoded
            Timeline.of(shape.declaredFrames(), shape.fps(), segmentSeconds, timelineLimits);
        }
        try (Admission.Ticket ticket = admission.admit(POOL, pipeline.workingBytes(shape, segmentSeconds), scope)) {
            timer.add(Stage.QUEUE, ticket.queueNanos());
            DecodedClip clip = timer.time(Stage.DECODE, () -> decode.apply(pipeline, shape));
            int frames = clip.frameCount();
            Timeline timeline = segmentSeconds > 0
                    ? Timeline.of(frames, clip.fps(), segmentSeconds, timelineLimits) : null;
            FrameSampling sampling = FrameSampling.of(frames);
            DirectBuffers buffers = DirectBuffers.shared();
            StageTimer.Lap allocation = timer.start(Stage.PREPROCESS);
            try (DirectBuffers.Lease rgbInput = buffers.take(PreparedClip.RGB_FLOATS);
                 DirectBuffers.Lease flowInput = buffers.take(PreparedClip.FLOW_FLOATS);
                 DirectBuffers.Lease headInput = buffers.take(POINTS * 2 * Fusion.FEATURES)) {
                allocation.stop();
                Streams streams = new Streams(head, rgb, flowModel, headInput, scope, timer);
                // The whole clip first: its flow fields stay for the windows, which share its pairs.
                Map<Integer, FlowField> fields = new HashMap<>();
                PreparedClip prepared = pipeline.prepare(clip, sampling, flow, norm, rgbInput.floats(),
                        flowInput.floats(), fields, scope, timer);
                if (timeline == null) {
                    clip = null; // the decoded frames can go while the networks run
                    fields = null;
                }
                Scores whole = streams.run(prepared);
                List<TimelineSegment> segments = null;
                if (timeline != null) {
                    segments = new ArrayList<>();
                    Set<Integer> wholePairs = new HashSet<>(fields.keySet());
                    int total = timeline.windows().size();
                    scope.progress(Timeline.PROGRESS_STAGE, 0, total);
                    for (Timeline.Window w : timeline.windows()) {
                        scope.check();
                        PreparedClip window = pipeline.prepare(clip, w.sampling(), flow, norm, rgbInput.floats(),
                                flowInput.floats(), fields, scope, timer);
                        fields.keySet().retainAll(wholePairs); // the window's own fields are in its tensors now
                        Scores scores = streams.run(window);
                        segments.add(new TimelineSegment(w.startSeconds(clip.fps()), w.endSeconds(clip.fps()), w.start(),
                                w.end(), window.sampling().rgbFrames().clone(),
                                window.sampling().flowStarts().clone(), window.flowPairs(),
                                scores.predictions(topK, labels(head.metadata()))));
                        scope.progress(Timeline.PROGRESS_STAGE, segments.size(), total);
                    }
                }

                List<String> labels = labels(head.metadata());
                int classes = whole.logits.length;
                int k = Math.min(topK, classes);
                List<Prediction> predictions = whole.predictions(topK, labels);
                List<Prediction> baseline = top(Fusion.baselineScores(whole.rgb.logits, whole.flow.logits, classes), k,
                        labels);
                StreamScores streamScores = new StreamScores(top(Fusion.meanScores(whole.rgb.logits, classes), k,
                        labels), top(Fusion.meanScores(whole.flow.logits, classes), k, labels));
                timer.finish(metrics);

                ModelUse headUse = use(head);
                ClipModels models = new ClipModels(use(rgb), use(flowModel), headUse);
                boolean seeded = List.of(models.rgb(), models.flow(), headUse).stream()
                        .anyMatch(m -> "seeded".equals(m.weights()));
                // queue: the natives, admission and the three runners together; features_* and head: the
                // three models' runs, each recorded as inference under its own model
                return new RecognitionResult(headId, head.metadata().family(), headDevice,
                        seeded ? "seeded" : headUse.weights(), models,
                        new ClipInfo(prepared.source(), prepared.width(), prepared.height(), prepared.fps(), frames),
                        prepared.flowMethod().name().toLowerCase(Locale.ROOT), prepared.flowPairs(),
                        prepared.sampling().rgbFrames().clone(), prepared.sampling().flowStarts().clone(),
                        predictions, baseline, streamScores,
                        new ClipTimings(timer.millis(Stage.DECODE), timer.millis(Stage.FLOW),
                                timer.millis(Stage.PREPROCESS), timer.millis(Stage.QUEUE),
                                timer.millis(rgb.id(), Stage.INFERENCE), timer.millis(flowModel.id(), Stage.INFERENCE),
                                timer.millis(headId, Stage.INFERENCE), timer.millis(Stage.TOTAL)),
                        segments);
            }
        }
    }

    /** The three networks of one request, with its input buffers: a prepared sampling to its scores. */
    private final class Streams {
        private final ModelLease head;
        private final ModelLease rgb;
        private final ModelLease flow;
        private final DirectBuffers.Lease headInput;
        private final RequestScope scope;
        private final StageTimer timer;

        Streams(ModelLease head, ModelLease rgb, ModelLease flow, DirectBuffers.Lease headInput,
                RequestScope scope, StageTimer timer) {
            this.head = head;
            this.rgb = rgb;
            this.flow = flow;
            this.headInput = headInput;
            this.scope = scope;
            this.timer = timer;
        }

        Scores run(PreparedClip prepared) throws InterruptedException {
            StreamRun rgbRun = runStream(rgb, prepared.rgb(), RGB_FRAME, 3, 0, scope, timer);
            StreamRun flowRun = runStream(flow, prepared.flow(), FLOW_FRAME, 2 * FrameSampling.STACK, POINTS, scope,
                    timer);
            FloatBuffer features = Fusion.headFeatures(rgbRun.features, flowRun.features, headInput.floats());
            return new Scores(rgbRun, flowRun, runHead(head, features, scope, timer));
        }
    }

    /** Both streams' runs and the head's logits for one sampling. */
    private record Scores(StreamRun rgb, StreamRun flow, float[] logits) {

        /** The head's top-k: softmax of its logits. */
        List<Prediction> predictions(int topK, List<String> labels) {
            return TopK.softmaxTopK(logits, 0, logits.length, Math.min(topK, logits.length), labels);
        }
    }

    /** A feature model of the pipeline, ready, of the right task and input channels. */
    private ModelLease featureModel(String id, String key, int channels) {
        ModelLease m;
        try {
            m = repository.acquire(id, null);
        } catch (UnknownModelException e) {
            throw new FeatureModelException("the clip pipeline's feature model '" + id + "' ("
                    + ActionProperties.PREFIX + key + ") is not in the model repository");
        }
        ModelMetadata meta = m.metadata();
        long[] shape = meta.inputs().get(0).shape();
        if (meta.task() != Task.ACTION_FEATURES || shape.length != 4 || shape[1] != channels
                || shape[2] != ClipTensors.CROP || shape[3] != ClipTensors.CROP || meta.preprocessing() == null
                || meta.outputs().stream().noneMatch(o -> o.name().equals("features"))
                || meta.outputs().stream().noneMatch(o -> o.name().equals("logits"))) {
            m.close();
            throw new FeatureModelException("model '" + id + "' (" + ActionProperties.PREFIX + key
                    + ") is not an action feature model with input [B," + channels + ",224,224] and outputs"
                    + " features, logits");
        }
        return m;
    }

    private static StreamNormalization normalization(ModelMetadata rgb, ModelMetadata flow) {
        Preprocessing r = rgb.preprocessing();
        Preprocessing f = flow.preprocessing();
        return new StreamNormalization(r.mean(), r.std(), f.mean(), f.std());
    }

    /** One stream's features {@code [frames * 2048]} and logits {@code [frames * classes]}. */
    private record StreamRun(float[] features, float[] logits) {
    }

    /**
     * The 25 inputs through a ResNet in sub-batches of {@code stream-batch}, each in place from {@code input}
     * (with batching on, spread over the ResNet's runs of {@code max-batch-size} frames, which the frames of
     * concurrent clips share); its runner's queue and runs go to {@code timer} under the ResNet's id, its
     * frames to the scope's progress after the {@code framesBefore} of the other stream.
     */
    private StreamRun runStream(ModelLease model, FloatBuffer input, int frameFloats, int channels, int framesBefore,
                                RequestScope scope, StageTimer timer) throws InterruptedException {
        float[] features = null;
        float[] logits = null;
        int batch = props.streamBatch();
        for (int start = 0; start < POINTS; start += batch) {
            int n = Math.min(batch, POINTS - start);
            FloatBuffer slice = input.slice(start * frameFloats, n * frameFloats);
            long[] shape = {n, channels, ClipTensors.CROP, ClipTensors.CROP};
            // with batching on, frames of concurrent clips share the ResNet's runs
            ModelRunner.Timed<Map<String, ModelRunner.Output>> t = model.runner().infer(slice, shape,
                    Set.of("features", "logits"), scope);
            float[] f = t.value().get("features").values();
            float[] l = t.value().get("logits").values();
            if (features == null) {
                features = new float[POINTS * (f.length / n)];
                logits = new float[POINTS * (l.length / n)];
            }
            System.arraycopy(f, 0, features, start * (features.length / POINTS), f.length);
            System.arraycopy(l, 0, logits, start * (logits.length / POINTS), l.length);
            addRun(timer, model, t);
            scope.progress(FRAMES_STAGE, framesBefore + start + n, 2L * POINTS);
        }
        return new StreamRun(features, logits);
    }

    /** The head's logits for the {@code [1, 25, 4096]} features. */
    private static float[] runHead(ModelLease head, FloatBuffer features, RequestScope scope, StageTimer timer)
            throws InterruptedException {
        String inputName = head.metadata().inputs().get(0).name();
        long[] shape = {1, POINTS, 2 * Fusion.FEATURES};
        ModelRunner.Timed<Map<String, ModelRunner.Output>> t = head.runner().run(
                Map.of(inputName, new ModelRunner.Input(features, shape)), Set.of("logits"), scope);
        addRun(timer, head, t);
        return t.value().get("logits").values();
    }

    /** A run's wait for its runner and the run itself, under the model that ran. */
    private static void addRun(StageTimer timer, ModelLease model, ModelRunner.Timed<?> run) {
        timer.add(model.id(), device(model), Stage.QUEUE, run.queueNanos());
        timer.add(model.id(), device(model), Stage.INFERENCE, run.runNanos());
    }

    /** Top-k of a score vector whose softmax gives the probabilities. */
    private static List<Prediction> top(float[] scores, int k, List<String> labels) {
        return TopK.softmaxTopK(scores, 0, scores.length, k, labels);
    }

    private static List<String> labels(ModelMetadata meta) {
        return meta.labels() == null ? null : meta.labels().classes();
    }

    private static String device(ModelLease m) {
        return m.device().name().toLowerCase(Locale.ROOT);
    }

    private static ModelUse use(ModelLease m) {
        ModelMetadata meta = m.metadata();
        return new ModelUse(m.id(), device(m), meta.weights() == null ? "unknown" : meta.weights().source());
    }

    /** The pipeline, once its native libraries are loaded (the first requests may wait for that). */
    ClipPipeline pipeline() {
        try {
            return startPipeline().join();
        } catch (CompletionException e) {
            throw new IllegalStateException("the clip pipeline could not start: " + e.getCause(), e.getCause());
        }
    }

    private synchronized CompletableFuture<ClipPipeline> startPipeline() {
        if (pipeline == null) {
            CompletableFuture<ClipPipeline> p = new CompletableFuture<>();
            int threads = props.flowThreads() > 0 ? props.flowThreads() : Runtime.getRuntime().availableProcessors();
            Thread init = new Thread(() -> {
                try {
                    ClipNatives.load(); // before any JavaCV class loads them its own way
                    ClipPipeline created = new ClipPipeline(props.limits().clipLimits(), threads);
                    p.complete(created);
                } catch (Throwable e) {
                    log.error("the clip pipeline could not start (FFmpeg/OpenCV natives): clips will fail", e);
                    p.completeExceptionally(e);
                }
            }, "clip-pipeline-init");
            init.setDaemon(true);
            init.start();
            pipeline = p;
        }
        return pipeline;
    }

    /** Preloads the natives once the repository is loaded, if it serves a head: the first clip need not wait. */
    private void startWhenAHeadIsServed() {
        try {
            while (!repository.loadingDone()) {
                Thread.sleep(250);
            }
        } catch (InterruptedException e) {
            return;
        }
        if (repository.all().stream().anyMatch(m -> m.metadata() != null
                && m.metadata().task() == Task.ACTION_RECOGNITION)) {
            startPipeline();
        }
    }

    @Override
    public synchronized void destroy() {
        if (pipeline != null) {
            pipeline.thenAccept(ClipPipeline::close);
        }
    }
}
