package org.visionserve.service.action;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.service.pipeline.Stage;
import org.visionserve.service.pipeline.StageTimer;

class ClipPipelineTest {

    static final int W = 160;
    static final int H = 120;
    static final ClipPipeline PIPELINE = new ClipPipeline(ClipLimits.DEFAULT, 2);

    @AfterAll
    static void stop() {
        PIPELINE.close();
    }

    /**
     * The working memory a clip is admitted by grows with its frames and their size, holds at least its
     * decoded frames and the stream tensors, and for a clip at the default limits (640x480, 750 frames)
     * with two flow threads fits the default admission budget of the shipped -Xmx2g (60%: 1,228 MiB).
     */
    @Test
    void workingMemoryOfAClipFollowsItsShape() {
        long small = PIPELINE.workingBytes(new ClipShape(W, H, 12, "t", 25));
        long longer = PIPELINE.workingBytes(new ClipShape(W, H, 120, "t", 25));
        long max = PIPELINE.workingBytes(new ClipShape(640, 480, 750, "t", 25));
        assertTrue(small >= ClipPipeline.STREAM_BYTES + 12L * W * H * 3, "small: " + small);
        assertTrue(small < longer && longer < max, small + " < " + longer + " < " + max);
        assertTrue(max >= ClipPipeline.STREAM_BYTES + 750L * 640 * 480 * 3, "max: " + max);
        assertTrue(max <= (2048L << 20) / 10 * 6, "a clip at the limits: " + (max >> 20) + " MiB");
    }

    @Test
    void aVideoBecomesBothStreamsInputs() throws IOException {
        byte[] video = TestClips.encode(TestClips.Kind.MP4_H264, W, H, 25, TestClips.frames(W, H, 40, 3, 2));

        StageTimer timer = new StageTimer();
        PreparedClip p = PIPELINE.prepare(video, FlowMethod.TVL1, StreamNormalization.UCF101, timer);

        assertEquals(25L * 3 * 224 * 224, p.rgb().capacity());
        assertEquals(25L * 20 * 224 * 224, p.flow().capacity());
        assertTrue(p.rgb().isDirect() && p.flow().isDirect());
        // 40 frames, N = 39: interval 1, points on frames 4..28, stacks from pair 0 to pair 33
        assertArrayEquals(IntStream.range(4, 29).toArray(), p.sampling().rgbFrames());
        assertEquals(34, p.flowPairs(), "each pair once, although the 25 stacks hold 250 fields");
        assertEquals(FlowMethod.TVL1, p.flowMethod());
        for (Stage stage : List.of(Stage.DECODE, Stage.FLOW, Stage.PREPROCESS)) {
            assertTrue(timer.nanos(stage) > 0, stage.id());
        }
        assertTrue(p.source().startsWith("mov,mp4"), p.source());

        // Stack 0, field k: the square (right and down, the largest flow) is near the top of the byte
        // range, the still background near the bottom: after normalisation, far apart.
        for (int k = 0; k < 10; k++) {
            int cx = (int) ((72 + 3 * k) * 340.0 / 159) - 59;
            int cy = (int) ((72 + 2 * k) * 255.0 / 119) - 16;
            for (int ch : new int[] {2 * k, 2 * k + 1}) {
                float square = plane(p.flow(), ch).get(cy * 224 + cx);
                float background = plane(p.flow(), ch).get(5 * 224 + 5);
                assertTrue(square - background > 5, "field " + k + " channel " + ch + ": " + square + " vs "
                        + background);
            }
        }
    }

    @Test
    void farnebackModeGivesSimilarStacks() throws IOException {
        byte[] video = TestClips.encode(TestClips.Kind.WEBM_VP8, W, H, 25, TestClips.frames(W, H, 14, 3, 2));
        PreparedClip tv = PIPELINE.prepare(video, FlowMethod.TVL1, StreamNormalization.UCF101);
        PreparedClip fb = PIPELINE.prepare(video, FlowMethod.FARNEBACK, StreamNormalization.UCF101);
        assertEquals(FlowMethod.FARNEBACK, fb.flowMethod());
        assertEquals(0, mse(tv.rgb(), fb.rgb()), 0.0, "the RGB stream does not depend on the flow method");
        // Per-field stretching amplifies small differences (the minimum moves with the most negative
        // pixel), so compare with the TV-L1 stacks of a clip moving the other way (-2, -3).
        byte[] other = TestClips.encode(TestClips.Kind.WEBM_VP8, W, H, 25, TestClips.frames(W, H, 14, -2, -3));
        PreparedClip tvOther = PIPELINE.prepare(other, FlowMethod.TVL1, StreamNormalization.UCF101);
        double mad = meanAbsDiff(tv.flow(), fb.flow());
        double madOther = meanAbsDiff(tv.flow(), tvOther.flow());
        double corr = corr(tv.flow(), fb.flow());
        double corrOther = corr(tv.flow(), tvOther.flow());
        System.out.printf("flow stacks vs TV-L1: Farneback |diff| %.2f corr %.2f; other motion |diff| %.2f corr %.2f%n",
                mad, corr, madOther, corrOther);
        assertTrue(mad > 0.5, "the flow method changes the flow stream's input: mean |TV-L1 - Farneback| " + mad);
        assertTrue(mad < madOther / 3, "mean |TV-L1 - Farneback| " + mad + ", other motion " + madOther);
        assertTrue(corr > 0.8 && corrOther < 0.5, "correlation " + corr + ", other motion " + corrOther);
    }

    @Test
    void frameImagesBecomeInputsToo() throws IOException {
        List<byte[]> images = new ArrayList<>();
        for (byte[] f : TestClips.frames(W, H, 12, 3, 2)) {
            images.add(ClipDecoderTest.png(f));
        }
        var norm = StreamNormalization.of(ModelRegistry.get("resnet101_rgb"), ModelRegistry.get("resnet101_flow"));
        assertArrayEquals(StreamNormalization.UCF101.flowMean(), norm.flowMean(), 0f);
        PreparedClip p = PIPELINE.prepareImages(images, FlowMethod.FARNEBACK, norm);
        assertEquals("images", p.source());
        assertEquals(11, p.flowPairs()); // 12 frames: N = 11, interval 1, points capped at f = 6
        assertArrayEquals(new int[] {4, 5}, IntStream.of(p.sampling().rgbFrames()).distinct().toArray());
    }

    @Test
    void refusesAClipShorterThanOneStack() throws IOException {
        byte[] video = TestClips.encode(TestClips.Kind.AVI_MJPEG, W, H, 25, TestClips.frames(W, H, 10, 3, 2));
        var e = assertThrows(ClipDecodeException.class,
                () -> PIPELINE.prepare(video, FlowMethod.TVL1, StreamNormalization.UCF101));
        assertEquals(ClipDecodeException.Kind.TOO_SHORT, e.kind());
        assertTrue(e.getMessage().contains("has 10 frames") && e.getMessage().contains("at least 11"),
                e.getMessage());
    }

    private static FloatBuffer plane(FloatBuffer b, int channel) {
        return b.slice(channel * ClipTensors.PLANE, ClipTensors.PLANE);
    }

    private static double mse(FloatBuffer a, FloatBuffer b) {
        double s = 0;
        for (int i = 0; i < a.capacity(); i++) {
            double d = a.get(i) - b.get(i);
            s += d * d;
        }
        return s / a.capacity();
    }

    private static double corr(FloatBuffer a, FloatBuffer b) {
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        int n = a.capacity();
        for (int i = 0; i < n; i++) {
            double x = a.get(i);
            double y = b.get(i);
            sa += x;
            sb += y;
            saa += x * x;
            sbb += y * y;
            sab += x * y;
        }
        double cov = sab / n - sa / n * sb / n;
        return cov / Math.sqrt((saa / n - sa / n * sa / n) * (sbb / n - sb / n * sb / n));
    }

    private static double meanAbsDiff(FloatBuffer a, FloatBuffer b) {
        double s = 0;
        for (int i = 0; i < a.capacity(); i++) {
            s += Math.abs(a.get(i) - b.get(i));
        }
        return s / a.capacity();
    }
}
