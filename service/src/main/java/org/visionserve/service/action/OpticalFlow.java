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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_optflow.DualTVL1OpticalFlow;

/**
 * Optical flow between consecutive frames as the reference's {@code optical_flow.cpp} made it (spec
 * section 4): grey frames, TV-L1 (or Farneback), each component clipped to [-20, 20] and min-max
 * stretched to 8 bits per field. Each requested pair is computed once, the pairs spread over the
 * caller's bounded pool; native matrices are freed before each task returns.
 */
public final class OpticalFlow {

    /** The reference's "crop value": flow components are clipped to +-20 pixels. */
    static final float BOUND = 20f;

    static {
        // Parallelism is across frame pairs. OpenCV's own per-call threads on top of that made TV-L1
        // 2x slower here (oversubscription), so each OpenCV call runs on its calling thread.
        opencv_core.setNumThreads(1);
    }

    private final ExecutorService pool;

    public OpticalFlow(ExecutorService pool) {
        this.pool = pool;
    }

    /**
     * Flow fields of the pairs (0-based index of the first frame of each pair) of a clip.
     *
     * @return pair index -> field, in ascending pair order
     */
    public Map<Integer, FlowField> compute(DecodedClip clip, int[] pairs, FlowMethod method) {
        int w = clip.width();
        int h = clip.height();
        // Grey frames first, once each (a frame is in two pairs).
        Map<Integer, Future<byte[]>> grey = new TreeMap<>();
        for (int p : pairs) {
            for (int f : new int[] {p, p + 1}) {
                grey.computeIfAbsent(f, k -> pool.submit(() -> grey(clip.frames().get(k), w, h)));
            }
        }
        List<Future<FlowField>> tasks = new ArrayList<>(pairs.length);
        for (int p : pairs) {
            Future<byte[]> a = grey.get(p);
            Future<byte[]> b = grey.get(p + 1);
            tasks.add(pool.submit(() -> field(a.get(), b.get(), w, h, method)));
        }
        Map<Integer, FlowField> fields = new TreeMap<>();
        try {
            for (int i = 0; i < pairs.length; i++) {
                fields.put(pairs[i], tasks.get(i).get());
            }
        } catch (InterruptedException e) {
            tasks.forEach(t -> t.cancel(true));
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while computing optical flow", e);
        } catch (ExecutionException e) {
            tasks.forEach(t -> t.cancel(true));
            throw new IllegalStateException("optical flow failed: " + e.getCause(), e.getCause());
        }
        return fields;
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
