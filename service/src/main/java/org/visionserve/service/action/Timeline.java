package org.visionserve.service.action;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.visionserve.service.pipeline.InvalidParameterException;

/**
 * A video's timeline ({@code segment_seconds}): consecutive windows of {@code seconds} each, every
 * window sampled on its own at the paper's 25 points ({@link FrameSampling} over the window's frames).
 *
 * <p>Frame {@code i} is at {@code i / fps} (frames in decode order at the container's rate, as the
 * whole-clip sampling takes them). Window {@code w} holds the frames with {@code w * seconds <= i / fps
 * < (w + 1) * seconds}, so the windows cover the video without gap or overlap. A window needs one flow
 * stack ({@link FrameSampling#MIN_FRAMES} frames): a last window shorter than that is merged into the
 * one before it (so the video stays covered; that window is then up to ten frames longer than
 * {@code seconds}); any other window shorter than that means {@code seconds} is too short for the
 * frame rate (400). Flow pairs never cross a window's edge: each window's stacks use only its frames.
 *
 * @param seconds the window length asked for
 * @param fps     the video's frame rate
 * @param frames  the video's frames
 * @param windows in time order
 */
public record Timeline(double seconds, double fps, int frames, List<Window> windows) {

    public static final String PARAMETER = "segment_seconds";
    /** The progress stage of the windows' streams, in windows ({@link org.visionserve.service.runtime.RequestScope#progress}). */
    public static final String PROGRESS_STAGE = "windows";

    /**
     * Bounds on a timeline request, beside the clip limits (which still bound the video itself).
     *
     * @param maxDuration       longest video a timeline is made of
     * @param maxWindows        most windows (each costs both ResNet streams again, 50 inferences)
     * @param minSegmentSeconds shortest {@code segment_seconds}
     */
    public record Limits(Duration maxDuration, int maxWindows, double minSegmentSeconds) {

        public Limits {
            if (maxDuration == null || maxDuration.isNegative() || maxDuration.isZero() || maxWindows < 1
                    || !(minSegmentSeconds > 0)) {
                throw new IllegalArgumentException("timeline limits must be positive: " + maxDuration + ", "
                        + maxWindows + " windows, " + minSegmentSeconds + " s");
            }
        }
    }

    /** Frames {@code [start, end)} of the video. */
    public record Window(int start, int end) {

        public int frames() {
            return end - start;
        }

        /** The window's 25 points and stacks, as indices into the whole video. */
        public FrameSampling sampling() {
            return FrameSampling.of(frames()).shifted(start);
        }

        public double startSeconds(double fps) {
            return start / fps;
        }

        public double endSeconds(double fps) {
            return end / fps;
        }
    }

    /**
     * The parameter as given: a positive number of seconds, at least {@code minSegmentSeconds}.
     *
     * @throws InvalidParameterException naming the parameter (and the config key of the minimum)
     */
    public static double parse(String value, Limits limits, String minKey) {
        double s;
        try {
            s = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new InvalidParameterException(PARAMETER, PARAMETER + " must be a number of seconds, got '"
                    + value + "'");
        }
        if (!Double.isFinite(s) || s < limits.minSegmentSeconds()) {
            throw new InvalidParameterException(PARAMETER, String.format(Locale.ROOT,
                    "%s must be at least %s s (%s), got '%s'", PARAMETER, seconds(limits.minSegmentSeconds()), minKey,
                    value));
        }
        return s;
    }

    /**
     * The windows of a video of {@code frames} frames at {@code fps}, within the limits: from the
     * container's declared length before decoding (a refusal then costs nothing) and again from the
     * decoded frames.
     *
     * @throws ClipDecodeException      over {@code maxDuration} or {@code maxWindows} (413)
     * @throws InvalidParameterException when the frame rate is unknown or a window would be shorter than
     *                                   one flow stack (400)
     */
    public static Timeline of(int frames, double fps, double seconds, Limits limits) {
        if (!(fps > 0)) {
            throw new InvalidParameterException(PARAMETER, PARAMETER + " needs the video's frame rate, which"
                    + " its container does not declare (and frame lists have none)");
        }
        double duration = frames / fps;
        if (duration > limits.maxDuration().toNanos() / 1e9) {
            throw new ClipDecodeException(String.format(Locale.ROOT, "a timeline (%s) is made of videos up to"
                            + " %s s; this one is %.2f s", PARAMETER, seconds(limits.maxDuration().toMillis() / 1000.0),
                    duration), ClipLimits.Bound.TIMELINE_DURATION, limits.maxDuration().toMillis());
        }
        long count = (long) Math.ceil(frames / (seconds * fps) - EPSILON);
        if (count > limits.maxWindows() + 1L) { // + 1: a short tail may still merge
            throw tooManyWindows(count, seconds, limits);
        }
        List<Window> windows = new ArrayList<>();
        for (int w = 0; ; w++) {
            int start = boundary(w, seconds, fps);
            if (start >= frames) {
                break;
            }
            windows.add(new Window(start, Math.min(frames, boundary(w + 1, seconds, fps))));
        }
        int last = windows.size() - 1;
        if (last > 0 && windows.get(last).frames() < FrameSampling.MIN_FRAMES) {
            Window tail = windows.remove(last);
            windows.set(last - 1, new Window(windows.get(last - 1).start(), tail.end()));
        }
        for (Window w : windows.subList(0, windows.size() - 1)) {
            if (w.frames() < FrameSampling.MIN_FRAMES) {
                throw new InvalidParameterException(PARAMETER, String.format(Locale.ROOT, "%s=%s gives windows of"
                                + " %d frames at %.3g fps; a window needs at least %d (one 10-field flow stack)",
                        PARAMETER, seconds(seconds), w.frames(), fps, FrameSampling.MIN_FRAMES));
            }
        }
        if (windows.size() > limits.maxWindows()) {
            throw tooManyWindows(windows.size(), seconds, limits);
        }
        // a video shorter than one stack fails in FrameSampling.of, as without a timeline
        return new Timeline(seconds, fps, frames, List.copyOf(windows));
    }

    /**
     * The most windows a video of at most {@code frames} frames can have under these limits, and the
     * most frames one of them can hold: what the admission estimate counts before decoding.
     */
    static int maxWindowFrames(int frames, double fps, double seconds) {
        if (!(fps > 0)) {
            return frames;
        }
        // a full window, plus a merged tail of at most MIN_FRAMES - 1 frames
        return (int) Math.min(frames, (long) Math.ceil(seconds * fps) + FrameSampling.MIN_FRAMES);
    }

    /** Window w starts at the first frame at or after {@code w * seconds}; see {@link #EPSILON}. */
    private static int boundary(int w, double seconds, double fps) {
        return (int) Math.ceil(w * seconds * fps - EPSILON);
    }

    /** Frames: a rate read as 25.000000001 must still start the second 10 s window at frame 250, not 251. */
    private static final double EPSILON = 1e-6;

    private static ClipDecodeException tooManyWindows(long windows, double seconds, Limits limits) {
        return new ClipDecodeException(String.format(Locale.ROOT, "%s=%s gives %d windows; at most %d are made",
                PARAMETER, seconds(seconds), windows, limits.maxWindows()), ClipLimits.Bound.TIMELINE_WINDOWS,
                limits.maxWindows());
    }

    private static String seconds(double s) {
        return s == Math.rint(s) ? String.valueOf((long) s) : String.valueOf(s);
    }
}
