package org.visionserve.service.action;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_RGB2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_video.calcOpticalFlowFarneback;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_optflow.DualTVL1OpticalFlow;
import org.visionserve.service.runtime.RequestScope;

/**
 * Optical flow between consecutive frames as the reference's {@code optical_flow.cpp} made it (spec
 * section 4): grey frames, TV-L1 (or Farneback), each component clipped to [-20, 20] and min-max
 * stretched to 8 bits per field. Each requested pair is computed once, the pairs spread over the
 * caller's bounded pool, for as long as the request's scope lasts; native matrices are freed before
 * each task returns.
 */
public final class OpticalFlow {

    /** The reference's "crop value": flow components are clipped to +-20 pixels. */
    static final float BOUND = 20f;

    static {
        // Parallelism is across frame pairs. OpenCV's own per-call threads on top of that made TV-L1
        // 2x slower here (oversubscription), so each OpenCV call runs on its calling thread.
        opencv_core.setNumThreads(1);
    }

    /** The progress stage of the flow, in frame pairs ({@link RequestScope#progress}). */
    public static final String PROGRESS_STAGE = "flow";

    private final ExecutorService pool;
    private final AtomicLong pairsComputed = new AtomicLong();

    public OpticalFlow(ExecutorService pool) {
        this.pool = pool;
    }

    /**
     * Flow fields of the pairs (0-based index of the first frame of each pair) of a clip, one task per
     * pair on the pool. The scope is checked before each pair starts; once it ends, no further pair
     * starts and this returns (throws) when the pairs in progress are done: one OpenCV call each, the
     * longest step of a clip that cannot be interrupted (TV-L1 on a 640x480 pair: about a second a core).
     *
     * @return pair index -> field, in ascending pair order
     * @throws org.visionserve.service.runtime.RequestCancelledException if the scope ended first
     */
    public Map<Integer, FlowField> compute(DecodedClip clip, int[] pairs, FlowMethod method, RequestScope scope) {
        int w = clip.width();
        int h = clip.height();
        List<Callable<FlowField>> tasks = new ArrayList<>(pairs.length);
        AtomicLong done = new AtomicLong();
        scope.progress(PROGRESS_STAGE, 0, pairs.length);
        for (int p : pairs) {
            byte[] a = clip.frames().get(p);
            byte[] b = clip.frames().get(p + 1);
            // Each task makes its own two grey frames (a frame is in two pairs): a conversion costs a
            // thousandth of a pair's flow, and no grey frame outlives the pair that needs it.
            tasks.add(() -> {
                FlowField f = field(grey(a, w, h), grey(b, w, h), w, h, method);
                pairsComputed.incrementAndGet();
                scope.progress(PROGRESS_STAGE, done.incrementAndGet(), pairs.length);
                return f;
            });
        }
        List<FlowField> computed = ScopedTasks.run(pool, tasks, scope);
        Map<Integer, FlowField> fields = new TreeMap<>();
        for (int i = 0; i < pairs.length; i++) {
            fields.put(pairs[i], computed.get(i));
        }
        return fields;
    }

    /** As above, without a deadline (tests, tools). */
    public Map<Integer, FlowField> compute(DecodedClip clip, int[] pairs, FlowMethod method) {
        return ScopedTasks.unbounded(scope -> compute(clip, pairs, method, scope));
    }

    /** Frame pairs whose flow this instance has computed, for all requests together. */
    public long pairsComputed() {
        return pairsComputed.get();
    }

    /** OpenCV's RGB to grey (0.299 R + 0.587 G + 0.114 B, fixed point), as the reference's BGR2GRAY. */
    static byte[] grey(byte[] rgb, int w, int h) {
        try (Mat colour = new Mat(h, w, CV_8UC3); Mat grey = new Mat()) {
            colour.data().put(rgb);
            cvtColor(colour, grey, COLOR_RGB2GRAY);
            byte[] out = new byte[w * h];
            grey.data().get(out);
            return out;
        }
    }

    /** Raw flow of one pair: {@code [h][w][2]} floats (x, y), in pixels. */
    static float[] rawFlow(byte[] grey0, byte[] grey1, int w, int h, FlowMethod method) {
        try (Mat a = new Mat(h, w, CV_8UC1); Mat b = new Mat(h, w, CV_8UC1); Mat flow = new Mat()) {
            a.data().put(grey0);
            b.data().put(grey1);
            if (method == FlowMethod.TVL1) {
                try (DualTVL1OpticalFlow tvl1 = tvl1()) {
                    tvl1.calc(a, b, flow);
                }
            } else {
                // OpenCV's documented example settings: pyramid 0.5 x 3 levels, 15 px window, 3 iterations,
                // degree-5 polynomial with sigma 1.2.
                calcOpticalFlowFarneback(a, b, flow, 0.5, 3, 15, 3, 5, 1.2, 0);
            }
            float[] xy = new float[w * h * 2];
            FloatBuffer data = flow.createBuffer();
            data.get(xy);
            return xy;
        }
    }

    /**
     * The CPU twin of the reference's CUDA {@code OpticalFlowDual_TVL1} defaults: tau 0.25, lambda
     * 0.15, theta 0.3, 5 scales of factor 0.8, 5 warps, epsilon 0.01, no initial flow, and at most
     * 300 iterations per warp (CUDA: {@code iterations = 300}; CPU: 10 outer x 30 inner). The CPU
     * class's median filter between outer iterations has no CUDA counterpart, so it is off (1).
     */
    static DualTVL1OpticalFlow tvl1() {
        DualTVL1OpticalFlow f = DualTVL1OpticalFlow.create();
        f.setTau(0.25);
        f.setLambda(0.15);
        f.setTheta(0.3);
        f.setScalesNumber(5);
        f.setScaleStep(0.8);
        f.setWarpingsNumber(5);
        f.setEpsilon(0.01);
        f.setOuterIterations(10);
        f.setInnerIterations(30);
        f.setGamma(0);
        f.setMedianFiltering(1);
        f.setUseInitialFlow(false);
        return f;
    }

    static FlowField field(byte[] grey0, byte[] grey1, int w, int h, FlowMethod method) {
        float[] xy = rawFlow(grey0, grey1, w, h, method);
        return new FlowField(w, h, stretch(xy, 0, w * h), stretch(xy, 1, w * h));
    }

    /**
     * One component ({@code c}: 0 = x, 1 = y) of an interleaved field: clipped to +-20, then
     * {@code (int) (255 * (u - min) / (max - min))} with {@code min} the field's minimum and
     * {@code max} its maximum or 0, whichever is larger (the reference's running maximum starts at 0).
     * A constant field (max == min, the reference divides by zero) becomes 0, what its NaN cast gives
     * on x86.
     */
    static byte[] stretch(float[] xy, int c, int n) {
        float min = Float.POSITIVE_INFINITY;
        float max = 0;
        for (int i = 0; i < n; i++) {
            float u = Math.max(-BOUND, Math.min(BOUND, xy[2 * i + c]));
            min = Math.min(min, u);
            max = Math.max(max, u);
        }
        byte[] out = new byte[n];
        if (max == min) {
            return out;
        }
        float range = max - min;
        for (int i = 0; i < n; i++) {
            float u = Math.max(-BOUND, Math.min(BOUND, xy[2 * i + c]));
            out[i] = (byte) (int) (255 * (u - min) / range);
        }
        return out;
    }
}
