package org.visionserve.export.models;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The eval transform a real checkpoint of the model expects, as the reference resolves it (timm's
 * {@code pretrained_cfg} for the classifiers): resize the shorter side to
 * {@code resizeShorterSide = floor(inputSize / cropPct)} with {@code interpolation}, centre crop
 * {@code inputSize}, scale to [0, 1], then {@code (x - mean) / std} per channel.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Preprocessing(int inputSize, double cropPct, int resizeShorterSide, String interpolation,
                            String cropMode, float[] mean, float[] std, boolean fixedInputSize) {

    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};
    public static final float[] INCEPTION_MEAN = {0.5f, 0.5f, 0.5f};
    public static final float[] INCEPTION_STD = {0.5f, 0.5f, 0.5f};

    /** timm's eval transform: bicubic resize of the shorter side, centre crop. */
    public static Preprocessing timm(int inputSize, double cropPct, float[] mean, float[] std, boolean fixed) {
        return new Preprocessing(inputSize, cropPct, (int) Math.floor(inputSize / cropPct), "bicubic", "center",
                mean, std, fixed);
    }
}
