package org.visionserve.service.action;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import org.visionserve.service.runtime.RequestScope;

/**
 * Builds the two streams' inputs for the 25 sample points into direct float buffers (shared by ONNX
 * Runtime tensors without a copy): RGB {@code [25, 3, 224, 224]} and flow {@code [25, 20, 224, 224]}.
 * Each plane: 8-bit value / 255, Torch bicubic resize of the shorter side to 256, {@code (v - mean) /
 * std}, centre crop 224 at {@code ceil((W - 224) / 2)}, {@code ceil((H - 224) / 2)} (spec 3-4).
 */
public final class ClipTensors {

    public static final int CROP = 224;
    public static final int RESIZE = 256;
    public static final int PLANE = CROP * CROP;

    private ClipTensors() {
    }

    /** RGB planes R, G, B of each sample point's frame (no deadline: tests, tools). */
    public static FloatBuffer rgb(DecodedClip clip, FrameSampling sampling, StreamNormalization norm,
                                  ExecutorService pool) {
        FloatBuffer out = direct(sampling.rgbFrames().length * 3 * PLANE);
        return ScopedTasks.unbounded(scope -> rgb(clip, sampling, norm, pool, out, scope));
    }

    /**
     * As above, into {@code out} (at least {@code points * 3 * PLANE} values), which is returned; one task
     * per point, each started only while the scope lasts.
     */
    public static FloatBuffer rgb(DecodedClip clip, FrameSampling sampling, StreamNormalization norm,
                                  ExecutorService pool, FloatBuffer out, RequestScope scope) {
        int points = sampling.rgbFrames().length;
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < points; i++) {
            byte[] frame = clip.frames().get(sampling.rgbFrames()[i]);
            int base = i * 3 * PLANE;
            tasks.add(() -> {
                Planes planes = new Planes(clip.width(), clip.height());
                for (int c = 0; c < 3; c++) {
                    planes.put(frame, c, 3, norm.rgbMean()[c], norm.rgbStd()[c], out, base + c * PLANE);
                }
                return null;
            });
        }
        ScopedTasks.run(pool, tasks, scope);
        return out;
    }

    /** Flow stacks: for each point ten fields in time order, channels (y, x) per field (no deadline). */
    public static FloatBuffer flow(Map<Integer, FlowField> fields, FrameSampling sampling,
                                   StreamNormalization norm, ExecutorService pool) {
        FloatBuffer out = direct(sampling.flowStarts().length * 2 * FrameSampling.STACK * PLANE);
        return ScopedTasks.unbounded(scope -> flow(fields, sampling, norm, pool, out, scope));
    }

    /**
     * As above, into {@code out} (at least {@code points * 20 * PLANE} values), which is returned; one task
     * per point, each started only while the scope lasts.
     */
    public static FloatBuffer flow(Map<Integer, FlowField> fields, FrameSampling sampling,
                                   StreamNormalization norm, ExecutorService pool, FloatBuffer out,
                                   RequestScope scope) {
        int points = sampling.flowStarts().length;
        int channels = 2 * FrameSampling.STACK;
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < points; i++) {
            int start = sampling.flowStarts()[i];
            int base = i * channels * PLANE;
            tasks.add(() -> {
                Planes planes = null;
                for (int k = 0; k < FrameSampling.STACK; k++) {
                    FlowField f = fields.get(start + k);
                    if (f == null) {
                        throw new IllegalArgumentException("flow of pair " + (start + k) + " was not computed");
                    }
                    planes = planes != null ? planes : new Planes(f.width(), f.height());
                    int y = 2 * k;
                    int x = 2 * k + 1;
                    planes.put(f.y(), 0, 1, norm.flowMean()[y], norm.flowStd()[y], out, base + y * PLANE);
                    planes.put(f.x(), 0, 1, norm.flowMean()[x], norm.flowStd()[x], out, base + x * PLANE);
                }
                return null;
            });
        }
        ScopedTasks.run(pool, tasks, scope);
        return out;
    }

    /** Scratch space for one task: the source plane and the resize's temporary, reused per channel. */
    private static final class Planes {
        final int w;
        final int h;
        final int dstW;
        final int dstH;
        final int left;
        final int top;
        final float[] src;
        final float[] tmp;
        final float[] crop = new float[PLANE];

        Planes(int w, int h) {
            this.w = w;
            this.h = h;
            int[] size = TorchBicubic.scaledSize(w, h, RESIZE);
            dstW = size[0];
            dstH = size[1];
            if (dstW < CROP || dstH < CROP) {
                throw new IllegalArgumentException(w + "x" + h + " resizes to " + dstW + "x" + dstH);
            }
            left = TorchBicubic.cropOffset(dstW, CROP);
            top = TorchBicubic.cropOffset(dstH, CROP);
            src = new float[w * h];
            tmp = new float[h * CROP];
        }

        /** Channel {@code c} of interleaved 8-bit samples -> resized, normalised, cropped plane at {@code at}. */
        void put(byte[] samples, int c, int step, float mean, float std, FloatBuffer out, int at) {
            for (int p = 0; p < src.length; p++) {
                src[p] = (samples[p * step + c] & 0xff) / 255f;
            }
            TorchBicubic.scaleCrop(src, w, h, dstW, dstH, left, top, CROP, CROP, tmp, crop, 0);
            for (int p = 0; p < PLANE; p++) {
                crop[p] = (crop[p] - mean) / std;
            }
            out.put(at, crop); // absolute bulk put: tasks write disjoint ranges
        }
    }

    static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
