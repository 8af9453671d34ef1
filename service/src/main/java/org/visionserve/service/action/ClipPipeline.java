package org.visionserve.service.action;

import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.visionserve.service.pipeline.Stage;
import org.visionserve.service.pipeline.StageTimer;
import org.visionserve.service.runtime.RequestScope;

/**
 * From an uploaded clip to the two ResNet streams' inputs: measure (from headers), decode, sample 25
 * points, optical flow of exactly the frame pairs the 25 stacks use (each once, spread over a bounded
 * pool), RGB and flow tensors, every step for as long as the request's scope lasts. One instance serves
 * all requests; its pool bounds the flow and preprocessing threads of all of them together. Do not call
 * it from its own pool's threads.
 */
public final class ClipPipeline implements AutoCloseable {

    /**
     * Decoding, per frame pixel, beyond the frames kept: the decoder's reference frames and its RGB
     * conversion (video), or the image reader's raster and the sample copy (frames). An upper estimate.
     */
    static final int DECODING_BYTES_PER_PIXEL = 32;
    /**
     * One frame pair's flow in progress, per pixel: OpenCV's TV-L1 buffers (float planes over its
     * five-scale pyramid), the raw field as a matrix and as Java floats, the two grey frames and the
     * stretched components. Measured: the peak RSS of a JVM grows by about 40 MB over one 640x480 TV-L1
     * pair (130 bytes a pixel); Farneback needs less, both are counted as TV-L1.
     */
    static final int FLOW_BYTES_PER_PIXEL = 144;

    private final ClipDecoder decoder;
    private final ThreadPoolExecutor pool;
    private final OpticalFlow flow;
    private final int threads;

    /**
     * @param threads flow and preprocessing threads shared by all requests (e.g. the number of cores)
     */
    public ClipPipeline(ClipLimits limits, int threads) {
        this.decoder = new ClipDecoder(limits);
        this.threads = threads;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "clip-flow-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true); // idle threads go away between requests
        this.flow = new OpticalFlow(pool);
    }

    public ClipPipeline(ClipLimits limits) {
        this(limits, Runtime.getRuntime().availableProcessors());
    }

    public ClipDecoder decoder() {
        return decoder;
    }

    /** The optical flow stage (its count of pairs computed). */
    public OpticalFlow flow() {
        return flow;
    }

    /**
     * The working memory a clip of this shape is estimated to hold at its peak, from decoding to its
     * stream tensors and the networks' features: what it is admitted by. The decoded frames stay until
     * the tensors are built; the flow fields of all pairs until the flow stacks are; at most one step per
     * pool thread is in progress (decoding, a pair's flow, or a point's planes). ONNX Runtime's own
     * memory for the ResNet runs is not counted.
     */
    public long workingBytes(ClipShape shape) {
        long px = shape.pixels();
        int frames = Math.max(shape.frames(), FrameSampling.MIN_FRAMES);
        int pairs = FrameSampling.of(frames).pairs().length;
        long decoded = frames * px * 3;
        long fields = pairs * px * 2;
        long decoding = px * DECODING_BYTES_PER_PIXEL;
        long flowing = Math.min(threads, pairs) * px * FLOW_BYTES_PER_PIXEL;
        // a point's planes: the source plane, the resize's temporary (height x crop) and the crop, as floats
        long planes = Math.min(threads, FrameSampling.POINTS) * 4L
                * (px + (long) shape.height() * ClipTensors.CROP + ClipTensors.PLANE);
        return decoded + fields + Math.max(decoding, Math.max(flowing, planes)) + STREAM_BYTES;
    }

    /**
     * As above for a timeline of {@code segmentSeconds} windows ({@link Timeline}): the whole clip's flow
     * fields stay while the windows run one after another (they share its pairs), so what is added is
     * one window's own fields at most: a window of up to {@code segmentSeconds} plus a merged tail, whose
     * 25 stacks use at most {@code min(frames - 1, 250)} pairs. The stream tensors are reused window after
     * window; the extra work is bounded by the timeline's limits, checked before this.
     */
    public long workingBytes(ClipShape shape, double segmentSeconds) {
        long whole = workingBytes(shape);
        if (!(segmentSeconds > 0)) {
            return whole;
        }
        int frames = Math.max(shape.frames(), FrameSampling.MIN_FRAMES);
        int windowFrames = Timeline.maxWindowFrames(frames, shape.fps(), segmentSeconds);
        long windowPairs = Math.max(0, Math.min(windowFrames - 1, FrameSampling.POINTS * FrameSampling.STACK));
        return whole + windowPairs * shape.pixels() * 2;
    }

    /** The stream tensors, the head's input and the streams' features, whatever the clip. */
    static final long STREAM_BYTES = 4L * (PreparedClip.RGB_FLOATS + PreparedClip.FLOW_FLOATS
            + 2L * FrameSampling.POINTS * Fusion.FEATURES // head input
            + 2L * FrameSampling.POINTS * Fusion.FEATURES); // the two streams' features

    /** A video file (MP4, MOV, WebM, AVI) to stream inputs (no deadline: tests, tools). */
    public PreparedClip prepare(byte[] video, FlowMethod method, StreamNormalization norm) {
        return prepare(video, method, norm, new StageTimer());
    }

    /** As above, adding decode, flow and preprocess to {@code timer}. */
    public PreparedClip prepare(byte[] video, FlowMethod method, StreamNormalization norm, StageTimer timer) {
        DecodedClip clip = timer.time(Stage.DECODE, () -> decoder.decode(video));
        return prepare(clip, method, norm, timer);
    }

    /** Frame images in time order to stream inputs (no deadline: tests, tools). */
    public PreparedClip prepareImages(List<byte[]> images, FlowMethod method, StreamNormalization norm) {
        StageTimer timer = new StageTimer();
        DecodedClip clip = timer.time(Stage.DECODE, () -> decoder.decodeImages(images));
        return prepare(clip, method, norm, timer);
    }

    /** Already decoded frames to stream inputs (no deadline: tests, tools). */
    public PreparedClip prepare(DecodedClip clip, FlowMethod method, StreamNormalization norm, StageTimer timer) {
        FloatBuffer rgb = ClipTensors.direct(PreparedClip.RGB_FLOATS);
        FloatBuffer flowOut = ClipTensors.direct(PreparedClip.FLOW_FLOATS);
        return ScopedTasks.unbounded(scope -> prepare(clip, method, norm, rgb, flowOut, scope, timer));
    }

    /**
     * As above, writing the stream inputs into the caller's direct buffers ({@link PreparedClip#RGB_FLOATS}
     * and {@link PreparedClip#FLOW_FLOATS} values), so the caller decides when their memory is freed;
     * every task of it starts only while the scope lasts. Adds the optical flow ({@link Stage#FLOW}) and
     * the tensors ({@link Stage#PREPROCESS}) to {@code timer}.
     *
     * @throws org.visionserve.service.runtime.RequestCancelledException once the scope ended
     */
    public PreparedClip prepare(DecodedClip clip, FlowMethod method, StreamNormalization norm, FloatBuffer rgbOut,
                                FloatBuffer flowOut, RequestScope scope, StageTimer timer) {
        return prepare(clip, FrameSampling.of(clip.frameCount()), method, norm, rgbOut, flowOut, new HashMap<>(), scope,
                timer);
    }

    /**
     * As above for any sampling of the clip (the whole clip's, or a timeline window's), taking the flow
     * fields it needs from {@code fields} (pair index -> field) and adding the pairs missing there to it:
     * samplings of one clip that share pairs compute each once. The caller drops from {@code fields} what
     * it no longer needs.
     */
    public PreparedClip prepare(DecodedClip clip, FrameSampling sampling, FlowMethod method, StreamNormalization norm,
                                FloatBuffer rgbOut, FloatBuffer flowOut, Map<Integer, FlowField> fields,
                                RequestScope scope, StageTimer timer) {
        int[] pairs = sampling.pairs();
        int[] missing = IntStream.of(pairs).filter(p -> !fields.containsKey(p)).toArray();
        fields.putAll(timer.time(Stage.FLOW, () -> flow.compute(clip, missing, method, scope)));
        StageTimer.Lap tensors = timer.start(Stage.PREPROCESS);
        FloatBuffer rgb = ClipTensors.rgb(clip, sampling, norm, pool, rgbOut, scope);
        FloatBuffer flowStacks = ClipTensors.flow(fields, sampling, norm, pool, flowOut, scope);
        tensors.stop();
        return new PreparedClip(rgb, flowStacks, sampling, method, clip.width(), clip.height(), clip.fps(),
                clip.source(), pairs.length);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
