package org.visionserve.service.action;

import java.util.Arrays;
import java.util.TreeSet;

/**
 * The reference's 25 sample points (spec section 2, {@code run_pred-feat_twoStreams.lua}), given in
 * 0-based indices. With {@code N = frames - 1} flow fields (field j joins RGB frames j and j + 1),
 * {@code interval = max(1, floor((N - 9) / 25))} and, 1-based, {@code f_i = min((i - 1) * interval
 * + 5, N - 5)}: RGB frame {@code f_i} and flow fields {@code f_i - 4 .. f_i + 5}. A clip shorter
 * than 25 stacks' worth repeats its last point (the {@code min}), as the reference does; below
 * {@link #MIN_FRAMES} frames a stack would run off the clip and the clip is refused.
 *
 * @param frames      RGB frames in the clip
 * @param interval    spacing of the sample points in frames
 * @param rgbFrames   0-based RGB frame of each sample point ({@code f_i - 1})
 * @param flowStarts  0-based first flow field (frame pair) of each point's 10-field stack ({@code f_i - 5})
 */
public record FrameSampling(int frames, int interval, int[] rgbFrames, int[] flowStarts) {

    public static final int POINTS = 25;
    public static final int STACK = 10;
    /** Ten flow fields need eleven frames: N >= 10 keeps {@code f_1 - 4 >= 1} and {@code f_i + 5 <= N}. */
    public static final int MIN_FRAMES = STACK + 1;

    public static FrameSampling of(int frames) {
        if (frames < MIN_FRAMES) {
            throw new ClipDecodeException(ClipDecodeException.Kind.TOO_SHORT, "the clip has " + frames
                    + " frames; the sampling needs at least " + MIN_FRAMES + " (one 10-field optical-flow stack)");
        }
        int n = frames - 1;
        int interval = Math.max(1, (n - STACK + 1) / POINTS);
        int[] rgb = new int[POINTS];
        int[] flow = new int[POINTS];
        for (int i = 1; i <= POINTS; i++) {
            int f = Math.min((i - 1) * interval + 5, n - 5); // 1-based, as the Lua code
            rgb[i - 1] = f - 1;
            flow[i - 1] = f - 5; // 1-based field f - 4 is 0-based pair f - 5
        }
        return new FrameSampling(frames, interval, rgb, flow);
    }

    /**
     * The same points {@code offset} frames later: a timeline window's sampling (computed over the
     * window's own frames) as indices into the whole video. {@code frames} stays the window's.
     */
    public FrameSampling shifted(int offset) {
        int[] rgb = rgbFrames.clone();
        int[] flow = flowStarts.clone();
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] += offset;
            flow[i] += offset;
        }
        return new FrameSampling(frames, interval, rgb, flow);
    }

    /** The distinct frame pairs (0-based first frame) the 25 stacks use, ascending: each computed once. */
    public int[] pairs() {
        TreeSet<Integer> pairs = new TreeSet<>();
        for (int start : flowStarts) {
            for (int k = 0; k < STACK; k++) {
                pairs.add(start + k);
            }
        }
        return pairs.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FrameSampling s && s.frames == frames && s.interval == interval
                && Arrays.equals(s.rgbFrames, rgbFrames) && Arrays.equals(s.flowStarts, flowStarts);
    }

    @Override
    public int hashCode() {
        return 31 * frames + Arrays.hashCode(rgbFrames);
    }

    @Override
    public String toString() {
        return "FrameSampling[frames=" + frames + ", interval=" + interval + ", rgbFrames="
                + Arrays.toString(rgbFrames) + "]";
    }
}
