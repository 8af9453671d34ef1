package org.visionserve.service.action;

import java.nio.FloatBuffer;

/** Combining the two streams (spec section 8). */
public final class Fusion {

    public static final int FEATURES = 2048;

    private Fusion() {
    }

    /**
     * The baseline two-stream score ({@code run_pred-feat_twoStreams.lua}, {@code softMax=false},
     * {@code scoreMean}): per frame the mean of the two streams' raw logits (1:1, no softmax), then
     * the mean over the frames. Inputs are {@code [frames * classes]} row-major, as the stream models
     * output them.
     */
    public static float[] baselineScores(float[] rgbLogits, float[] flowLogits, int classes) {
        if (rgbLogits.length != flowLogits.length || rgbLogits.length % classes != 0) {
            throw new IllegalArgumentException("logits of " + rgbLogits.length + " and " + flowLogits.length
                    + " values, " + classes + " classes");
        }
        int frames = rgbLogits.length / classes;
        double[] sum = new double[classes];
        for (int t = 0; t < frames; t++) {
            for (int k = 0; k < classes; k++) {
                sum[k] += (rgbLogits[t * classes + k] + flowLogits[t * classes + k]) / 2.0;
            }
        }
        float[] score = new float[classes];
        for (int k = 0; k < classes; k++) {
            score[k] = (float) (sum[k] / frames);
        }
        return score;
    }

    /** The mean over frames of one stream's logits (a per-stream score to report). */
    public static float[] meanScores(float[] logits, int classes) {
        return baselineScores(logits, logits, classes);
    }

    /** Softmax of a score vector, for reporting probabilities (max-subtracted, in double). */
    public static float[] softmax(float[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double[] e = new double[scores.length];
        double sum = 0;
        for (int k = 0; k < scores.length; k++) {
            e[k] = Math.exp(scores[k] - max);
            sum += e[k];
        }
        float[] p = new float[scores.length];
        for (int k = 0; k < scores.length; k++) {
            p[k] = (float) (e[k] / sum);
        }
        return p;
    }

    /**
     * The heads' input {@code [1, frames, 4096]}: per sample point the RGB stream's 2048-d feature then
     * the flow stream's ({@code torch.cat(spatial, temporal, 2)}). Inputs are {@code [frames * 2048]}.
     */
    public static FloatBuffer headFeatures(float[] rgbFeatures, float[] flowFeatures) {
        if (rgbFeatures.length != flowFeatures.length || rgbFeatures.length % FEATURES != 0) {
            throw new IllegalArgumentException("features of " + rgbFeatures.length + " and "
                    + flowFeatures.length + " values, expected frames x " + FEATURES);
        }
        return headFeatures(rgbFeatures, flowFeatures, ClipTensors.direct(rgbFeatures.length * 2));
    }

    /** As above, into {@code out} (position 0, room for {@code frames * 4096} values), which is returned flipped. */
    public static FloatBuffer headFeatures(float[] rgbFeatures, float[] flowFeatures, FloatBuffer out) {
        if (rgbFeatures.length != flowFeatures.length || rgbFeatures.length % FEATURES != 0) {
            throw new IllegalArgumentException("features of " + rgbFeatures.length + " and "
                    + flowFeatures.length + " values, expected frames x " + FEATURES);
        }
        int frames = rgbFeatures.length / FEATURES;
        for (int t = 0; t < frames; t++) {
            out.put(rgbFeatures, t * FEATURES, FEATURES);
            out.put(flowFeatures, t * FEATURES, FEATURES);
        }
        return out.flip();
    }
}
