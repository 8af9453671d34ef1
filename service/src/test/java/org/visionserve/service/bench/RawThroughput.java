package org.visionserve.service.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.visionserve.export.ModelExporter;
import org.visionserve.export.ModelMetadata;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.runtime.SessionFactory;

/**
 * The hardware's limit for a model: a bare ONNX Runtime session run back to back on a tensor already
 * in memory, at batch 1, 4, 8 and 16, in two thread layouts: one run at a time with intra-op threads
 * = cores (the service's default for one run slot), and one run per core at once, each with one
 * intra-op thread (what several run slots give). Prints images/s per layout and batch size and the
 * batch-1 latency percentiles of the first layout; {@code throughput.sh} compares the service against
 * the best of all. Not a unit test.
 *
 * <pre>args: MODELS_DIR MODEL [seconds per measurement=15] [PARALLEL:INTRA:BATCH, to measure only that]</pre>
 */
public final class RawThroughput {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String model = args[1];
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        int cores = Runtime.getRuntime().availableProcessors();
        ModelMetadata meta = ModelMetadata.read(dir.resolve(model).resolve(ModelMetadata.FILE_NAME));
        int size = meta.preprocessing().inputSize();
        double best = 0;
        int[] only = args.length > 3 ? Arrays.stream(args[3].split(":")).mapToInt(Integer::parseInt).toArray() : null;
        for (int parallel : only != null ? new int[] {only[0]} : cores > 1 ? new int[] {1, cores} : new int[] {1}) {
            int intra = only != null ? only[1] : Math.max(1, cores / parallel);
            var settings = new VisionServeProperties.EffectiveSettings(true, VisionServeProperties.Device.CPU,
                    VisionServeProperties.CudaFallback.CPU, parallel, 64, intra, 1, 0, false, 1, 0, List.of(), false, 0);
            try (OrtSession session = SessionFactory.open(model, dir.resolve(model).resolve(ModelExporter.MODEL_FILE),
                    settings).session()) {
                for (int batch : only != null ? new int[] {only[2]} : new int[] {1, 4, 8, 16}) {
                    best = Math.max(best, measure(session, size, batch, parallel, intra, seconds));
                }
            }
        }
        System.out.printf(Locale.ROOT, "raw best images_per_s=%.2f%n", best);
    }

    /** {@code parallel} threads each running the session back to back; returns images/s of all together. */
    private static double measure(OrtSession session, int size, int batch, int parallel, int intra, int seconds)
            throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        String input = session.getInputNames().iterator().next();
        long[] shape = {batch, 3, size, size};
        FloatBuffer data = ByteBuffer.allocateDirect(batch * 3 * size * size * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < data.capacity(); i++) {
            data.put(i, (float) Math.sin(i * 0.001));
        }
        try (OnnxTensor t = OnnxTensor.createTensor(env, data, shape)) {
            for (int i = 0; i < 3; i++) {
                session.run(Map.of(input, t)).close();
            }
            double[][] ms = new double[parallel][100_000];
            int[] n = new int[parallel];
            long start = System.nanoTime();
            long end = start + seconds * 1_000_000_000L;
            Thread[] threads = new Thread[parallel];
            for (int p = 0; p < parallel; p++) {
                int me = p;
                threads[p] = new Thread(() -> {
                    try {
                        while (System.nanoTime() < end && n[me] < ms[me].length) {
                            long t0 = System.nanoTime();
                            session.run(Map.of(input, t)).close();
                            ms[me][n[me]++] = (System.nanoTime() - t0) / 1e6;
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                threads[p].start();
            }
            for (Thread th : threads) {
                th.join();
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            int runs = Arrays.stream(n).sum();
            double[] all = new double[runs];
            int k = 0;
            for (int p = 0; p < parallel; p++) {
                System.arraycopy(ms[p], 0, all, k, n[p]);
                k += n[p];
            }
            Arrays.sort(all);
            double imagesPerSecond = runs * batch / elapsed;
            System.out.printf(Locale.ROOT, "raw parallel=%d intra=%d batch=%d runs=%d images_per_s=%.2f p50_ms=%.2f"
                            + " p95_ms=%.2f p99_ms=%.2f%n", parallel, intra, batch, runs, imagesPerSecond,
                    pct(all, 50), pct(all, 95), pct(all, 99));
            return imagesPerSecond;
        }
    }

    private static double pct(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)];
    }
}
