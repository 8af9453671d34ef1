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
 * The hardware's limit for a model: a bare ONNX Runtime session, opened with the service's own
 * session options (intra-op threads = cores), run back to back at batch 1, 4, 8 and 16 on a
 * tensor already in memory. Prints images/s per batch size and the batch-1 latency percentiles;
 * {@code throughput.sh} compares the service against the best of them. Not a unit test.
 *
 * <pre>args: MODELS_DIR MODEL [seconds per batch size=15]</pre>
 */
public final class RawThroughput {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String model = args[1];
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        int cores = Runtime.getRuntime().availableProcessors();
        ModelMetadata meta = ModelMetadata.read(dir.resolve(model).resolve(ModelMetadata.FILE_NAME));
        var settings = new VisionServeProperties.EffectiveSettings(true, VisionServeProperties.Device.CPU,
                VisionServeProperties.CudaFallback.CPU, 1, 64, cores, 1, 0, false, 1, 0, List.of());
        int size = meta.preprocessing().inputSize();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = SessionFactory.open(model, dir.resolve(model).resolve(ModelExporter.MODEL_FILE),
                settings).session()) {
            String input = session.getInputNames().iterator().next();
            double best = 0;
            for (int batch : new int[] {1, 4, 8, 16}) {
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
                    double[] ms = new double[100_000];
                    int n = 0;
                    long end = System.nanoTime() + seconds * 1_000_000_000L;
                    long start = System.nanoTime();
                    while (System.nanoTime() < end && n < ms.length) {
                        long t0 = System.nanoTime();
                        session.run(Map.of(input, t)).close();
                        ms[n++] = (System.nanoTime() - t0) / 1e6;
                    }
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    double imagesPerSecond = n * batch / elapsed;
                    best = Math.max(best, imagesPerSecond);
                    double[] sorted = Arrays.copyOf(ms, n);
                    Arrays.sort(sorted);
                    System.out.printf(Locale.ROOT, "raw batch=%d runs=%d images_per_s=%.2f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f%n",
                            batch, n, imagesPerSecond, pct(sorted, 50), pct(sorted, 95), pct(sorted, 99));
                }
            }
            System.out.printf(Locale.ROOT, "raw best images_per_s=%.2f%n", best);
        }
    }

    private static double pct(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)];
    }
}
