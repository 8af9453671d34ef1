package org.visionserve.service.action;

import java.nio.FloatBuffer;

/**
 * The two streams' inputs for one clip.
 *
 * @param rgb          {@code [25, 3, 224, 224]}, direct, native order, for {@code resnet101_rgb}
 * @param flow         {@code [25, 20, 224, 224]}, direct, native order, for {@code resnet101_flow}
 * @param sampling     the 25 sample points (0-based RGB frame indices, flow stack starts)
 * @param flowMethod   which optical flow was used
 * @param flowPairs    distinct frame pairs whose flow was computed
 */
public record PreparedClip(FloatBuffer rgb, FloatBuffer flow, FrameSampling sampling, FlowMethod flowMethod,
                           int width, int height, double fps, String source, int flowPairs) {

    public static final long[] RGB_SHAPE = {FrameSampling.POINTS, 3, ClipTensors.CROP, ClipTensors.CROP};
    public static final long[] FLOW_SHAPE = {FrameSampling.POINTS, 2 * FrameSampling.STACK, ClipTensors.CROP,
            ClipTensors.CROP};
    public static final int RGB_FLOATS = FrameSampling.POINTS * 3 * ClipTensors.PLANE;
    public static final int FLOW_FLOATS = FrameSampling.POINTS * 2 * FrameSampling.STACK * ClipTensors.PLANE;
}
