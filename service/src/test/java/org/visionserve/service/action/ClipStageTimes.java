package org.visionserve.service.action;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Stage times of the clip pipeline for a 10 s 320x240 25 fps clip (a main, not a test):
 * {@code java -cp <test classpath> org.visionserve.service.action.ClipStageTimes [threads]}; with
 * {@code --write FILE} it only writes that clip, e.g. to time it through the endpoint with curl.
 */
public final class ClipStageTimes {

    public static void main(String[] args) throws IOException {
        if (args.length == 2 && args[0].equals("--write")) {
            Files.write(Path.of(args[1]), TestClips.encode(TestClips.Kind.MP4_H264, 320, 240, 25,
                    TestClips.frames(320, 240, 250, 1, 1)));
            return;
        }
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        int w = 320;
        int h = 240;
        byte[] video = TestClips.encode(TestClips.Kind.MP4_H264, w, h, 25, TestClips.frames(w, h, 250, 1, 1));
        System.out.printf("clip: 250 frames %dx%d H.264 MP4, %d bytes; %d threads, %d cores, load %s%n", w, h,
                video.length, threads, Runtime.getRuntime().availableProcessors(),
                Files.readString(Path.of("/proc/loadavg")).trim());
        ClipDecoder decoder = new ClipDecoder(ClipLimits.DEFAULT);
        decoder.decode(video); // native libraries loaded, JIT warm
        double[] decode = new double[5];
        DecodedClip clip = null;
        for (int r = 0; r < decode.length; r++) {
            long t = System.nanoTime();
            clip = decoder.decode(video);
            decode[r] = ms(t);
        }
        report("decode (250 frames)", decode);

        FrameSampling sampling = FrameSampling.of(clip.frameCount());
        int[] pairs = sampling.pairs();
        System.out.printf("sampling: interval %d, %d distinct pairs for 25 stacks of 10 fields%n",
                sampling.interval(), pairs.length);

        ExecutorService one = Executors.newFixedThreadPool(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            int[] some = Arrays.copyOf(pairs, 6);
            new OpticalFlow(one).compute(clip, new int[] {0}, FlowMethod.TVL1); // warm
            long t = System.nanoTime();
            new OpticalFlow(one).compute(clip, some, FlowMethod.TVL1);
            System.out.printf("TV-L1, 1 thread: %.0f ms per pair%n", ms(t) / some.length);

            t = System.nanoTime();
            Map<Integer, FlowField> tvl1 = new OpticalFlow(pool).compute(clip, pairs, FlowMethod.TVL1);
            double tv = ms(t);
            System.out.printf("TV-L1, %d pairs on %d threads: %.0f ms (%.0f ms per pair per thread)%n",
                    pairs.length, threads, tv, tv * threads / pairs.length);

            double[] fb = new double[3];
            Map<Integer, FlowField> farneback = null;
            for (int r = 0; r < fb.length; r++) {
                t = System.nanoTime();
                farneback = new OpticalFlow(pool).compute(clip, pairs, FlowMethod.FARNEBACK);
                fb[r] = ms(t);
            }
            report("Farneback, " + pairs.length + " pairs", fb);

            double[] rgb = new double[3];
            double[] flow = new double[3];
            for (int r = 0; r < rgb.length; r++) {
                t = System.nanoTime();
                ClipTensors.rgb(clip, sampling, StreamNormalization.UCF101, pool);
                rgb[r] = ms(t);
                t = System.nanoTime();
                ClipTensors.flow(tvl1, sampling, StreamNormalization.UCF101, pool);
                flow[r] = ms(t);
            }
            report("RGB batch [25,3,224,224]", rgb);
            report("flow stacks [25,20,224,224]", flow);

            var a = ClipTensors.flow(tvl1, sampling, StreamNormalization.UCF101, pool);
            var b = ClipTensors.flow(farneback, sampling, StreamNormalization.UCF101, pool);
            double mad = 0;
            for (int i = 0; i < a.capacity(); i++) {
                mad += Math.abs(a.get(i) - b.get(i));
            }
            System.out.printf("flow stacks, mean |TV-L1 - Farneback| = %.3f (normalised units)%n", mad / a.capacity());
        } finally {
            one.shutdownNow();
            pool.shutdownNow();
        }
    }

    private static double ms(long start) {
        return (System.nanoTime() - start) / 1e6;
    }

    private static void report(String stage, double[] runs) {
        double[] s = runs.clone();
        Arrays.sort(s);
        System.out.printf("%s: median %.1f ms (min %.1f, max %.1f, %d runs)%n", stage, s[s.length / 2], s[0],
                s[s.length - 1], s.length);
    }
}
