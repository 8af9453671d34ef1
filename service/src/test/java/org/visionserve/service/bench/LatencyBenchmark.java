package org.visionserve.service.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.visionserve.export.ModelExporter;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.models.Preprocessing;
import org.visionserve.export.weights.SeededWeights;
import org.visionserve.service.Images;
import org.visionserve.service.TestModels;
import org.visionserve.service.VisionServeApplication;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.image.ImageDecoder;
import org.visionserve.service.image.ImageLimits;
import org.visionserve.service.image.ImagePreprocessor;
import org.visionserve.service.image.RgbImage;
import org.visionserve.service.runtime.SessionFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Raw ONNX Runtime session latency vs the service's end-to-end HTTP latency at batch 1, then the
 * service's throughput with 1, 4 and 16 concurrent clients. One JVM, one machine, one run: the raw
 * session uses exactly the service's session options and is called directly on the benchmark
 * thread, and raw and HTTP measurements alternate in small blocks so background load hits both alike. Not a unit test; see service/BENCHMARK.md.
 *
 * <pre>args: [rounds=30] [seconds per throughput level=20] [model=inception_next_tiny]</pre>
 */
public final class LatencyBenchmark {

    /** ORT's busy-waiting, as the service is configured (visionserve.runtime.allow-spinning). */
    /** Requests per path before measuring: the JIT compiles the decoder and resize loops meanwhile. */
    private static final int WARMUP = Integer.getInteger("bench.warmup", 100);

    private static final boolean SPINNING = Boolean.getBoolean("visionserve.runtime.allow-spinning");

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        String model = args.length > 2 ? args[2] : "inception_next_tiny";
        int block = 5;

        Path dir = Files.createTempDirectory("visionserve-bench");
        TestModels.deleteOnExit(dir);
        ModelMetadata meta;
        try (SeededWeights w = new SeededWeights(0)) {
            meta = ModelExporter.export(ModelRegistry.get(model), w, dir, (k, n) -> { });
        }
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "machine: %d cores (%s), %s %s, JVM %s, max heap %d MB%n", cores,
                cpuModel(), System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("java.vm.version"), Runtime.getRuntime().maxMemory() >> 20);
        System.out.printf(Locale.ROOT, "load average at start: %.2f%n",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());

        List<Image> images = List.of(
                new Image("chelsea.jpg 451x300 JPEG", "image/jpeg", Images.chelseaJpeg()),
                new Image("224x224 PNG", "image/png", Images.gradientPng(224, 224)));

        // The service's default settings for this host: concurrency 1, intra-op threads = cores.
        var settings = new VisionServeProperties.EffectiveSettings(true, VisionServeProperties.Device.CPU,
                VisionServeProperties.CudaFallback.CPU, 1, 64, cores, 1, 0, SPINNING, 1, 0, List.of(), false, 0);
        SessionFactory.Bound raw = SessionFactory.open(model, dir.resolve(model).resolve(ModelExporter.MODEL_FILE), settings);
        ConfigurableApplicationContext ctx = new SpringApplication(VisionServeApplication.class).run(
                "--server.port=0", "--visionserve.grpc.port=0", "--visionserve.models.dir=" + dir, "--visionserve.models.defaults=" + model,
                "--logging.level.root=WARN", "--spring.main.banner-mode=off",
                "--visionserve.runtime.allow-spinning=" + SPINNING);
        System.out.println("ORT allow_spinning: " + SPINNING);
        try (OrtSession rawSession = raw.session()) {
            String base = "http://127.0.0.1:" + ctx.getEnvironment().getProperty("local.server.port");
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            awaitReady(client, base);
            String url = base + "/v1/models/" + model + "/classify?top_k=5";

            Preprocessing prep = meta.preprocessing();
            for (Image image : images) {
                FloatBuffer tensor = tensor(image, prep);
                long[] shape = {1, 3, prep.inputSize(), prep.inputSize()};
                for (int i = 0; i < WARMUP; i++) { // warm both paths, and let the JIT finish compiling the service's
                    rawOnce(rawSession, tensor, shape);
                    httpOnce(client, url, image, new double[STAGES.length]);
                }
                double[] rawMs = new double[rounds * block];
                double[] httpMs = new double[rounds * block];
                double[] stageSums = new double[STAGES.length];
                for (int r = 0; r < rounds; r++) {
                    for (int i = 0; i < block; i++) {
                        rawMs[r * block + i] = rawOnce(rawSession, tensor, shape);
                    }
                    for (int i = 0; i < block; i++) {
                        httpMs[r * block + i] = httpOnce(client, url, image, stageSums);
                    }
                }
                Stats rs = Stats.of(rawMs);
                Stats hs = Stats.of(httpMs);
                System.out.printf(Locale.ROOT, "%n## batch 1, %s, %d requests each, alternating blocks of %d%n",
                        image.name, rawMs.length, block);
                System.out.println("| path | p50 ms | mean ms | p90 ms | p99 ms |");
                System.out.println("|---|---|---|---|---|");
                System.out.println("| raw ORT session (tensor in, logits out) | " + rs.row());
                System.out.println("| service, HTTP end to end (image in, top-5 JSON out) | " + hs.row());
                System.out.printf(Locale.ROOT, "ratio service/raw: p50 %.3f, mean %.3f%n", hs.p50 / rs.p50,
                        hs.mean / rs.mean);
                StringBuilder stages = new StringBuilder("service stages as it reports them (mean ms):");
                for (int i = 0; i < STAGES.length; i++) {
                    stages.append(String.format(Locale.ROOT, " %s %.2f", STAGES[i], stageSums[i] / httpMs.length));
                }
                System.out.println(stages.append(String.format(Locale.ROOT, "; HTTP, Spring MVC and JSON outside"
                        + " 'total': %.2f", hs.mean - stageSums[STAGES.length - 1] / httpMs.length)));
            }

            Image image = images.get(0);
            System.out.printf(Locale.ROOT, "%n## throughput, %s, %d s per level (service defaults: concurrency 1, queue 64)%n",
                    image.name, seconds);
            System.out.println("| clients | requests/s | p50 ms | p90 ms | p99 ms | errors |");
            System.out.println("|---|---|---|---|---|---|");
            for (int clients : new int[] {1, 4, 16}) {
                throughput(client, url, image, clients, seconds);
            }
        } finally {
            ctx.close();
        }
        System.out.printf(Locale.ROOT, "%nload average at end: %.2f%n",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private record Image(String name, String contentType, byte[] bytes) {
    }

    private static FloatBuffer tensor(Image image, Preprocessing prep) throws Exception {
        RgbImage rgb = new ImageDecoder(new ImageLimits(1 << 26, 1 << 26)).decode(image.bytes, image.contentType);
        int size = prep.inputSize();
        FloatBuffer t = ByteBuffer.allocateDirect(3 * size * size * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        ImagePreprocessor.toTensor(ImagePreprocessor.resizeAndCrop(rgb, prep), prep, t);
        return t.rewind();
    }

    /** The bare session on the calling thread: tensor over the buffer, run, copy the logits out. */
    private static double rawOnce(OrtSession session, FloatBuffer tensor, long[] shape) throws OrtException {
        long t0 = System.nanoTime();
        try (OnnxTensor t = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), tensor, shape);
             OrtSession.Result r = session.run(Map.of(session.getInputNames().iterator().next(), t))) {
            FloatBuffer logits = ((OnnxTensor) r.get(0)).getFloatBuffer();
            logits.get(new float[logits.remaining()]);
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    private static final String[] STAGES = {"decode", "preprocess", "queue", "inference", "postprocess", "total"};
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One request; adds the stage times the service reports to {@code stageSums}. */
    private static double httpOnce(HttpClient client, String url, Image image, double[] stageSums)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        HttpResponse<String> r = client.send(request(url, image), HttpResponse.BodyHandlers.ofString());
        double ms = (System.nanoTime() - t0) / 1e6;
        if (r.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
        }
        JsonNode timings = JSON.readTree(r.body()).get("timings");
        for (int i = 0; i < STAGES.length; i++) {
            stageSums[i] += timings.get(STAGES[i]).asDouble();
        }
        return ms;
    }

    private static HttpRequest request(String url, Image image) {
        return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", image.contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(image.bytes)).build();
    }

    private static void throughput(HttpClient client, String url, Image image, int clients, int seconds)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        AtomicBoolean stop = new AtomicBoolean();
        List<Future<List<Double>>> results = new ArrayList<>();
        int[] errors = new int[1];
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            results.add(pool.submit(() -> {
                List<Double> ms = new ArrayList<>();
                while (!stop.get()) {
                    long s = System.nanoTime();
                    HttpResponse<String> r = client.send(request(url, image), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        ms.add((System.nanoTime() - s) / 1e6);
                    } else {
                        synchronized (errors) {
                            errors[0]++;
                        }
                    }
                }
                return ms;
            }));
        }
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        List<Double> all = new ArrayList<>();
        for (Future<List<Double>> f : results) {
            all.addAll(f.get());
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        Stats s = Stats.of(all.stream().mapToDouble(Double::doubleValue).toArray());
        System.out.printf(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %.1f | %d |%n", clients, all.size() / elapsed,
                s.p50, s.p90, s.p99, errors[0]);
    }

    private static void awaitReady(HttpClient client, String base) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(base + "/actuator/health/readiness"))
                    .build(), HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() == 200) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("service not ready");
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private record Stats(double p50, double mean, double p90, double p99) {
        static Stats of(double[] v) {
            double[] s = v.clone();
            Arrays.sort(s);
            return new Stats(q(s, 0.5), Arrays.stream(s).average().orElse(0), q(s, 0.9), q(s, 0.99));
        }

        static double q(double[] sorted, double q) {
            return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
        }

        String row() {
            return String.format(Locale.ROOT, "%.2f | %.2f | %.2f | %.2f |", p50, mean, p90, p99);
        }
    }
}
