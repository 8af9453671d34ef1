package org.visionserve.service.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.visionserve.service.HostilePngs;
import org.visionserve.service.HostileVolumes;
import org.visionserve.service.Http;
import org.visionserve.service.Images;
import org.visionserve.service.action.TestClips;

/**
 * The soak's load generator (its own process; {@code service/bench/soak.sh} starts the service and runs
 * it): N requests, a fixed mix of good and hostile inputs of every class of issue 11, from C concurrent
 * clients. Counts the statuses per class (and those the class does not allow), times them, and reads the
 * service's memory at the start, the middle and the end: VmRSS and VmHWM from {@code /proc/PID/status},
 * and, where the service runs with {@code -XX:NativeMemoryTracking=summary}, the JVM's own view
 * ({@code jcmd PID VM.native_memory summary}: committed in all and for the Java heap; what RSS holds
 * beyond it is ONNX Runtime's, FFmpeg's and OpenCV's memory, which the JVM does not track). Prints
 * Markdown tables. Not a test: it asserts nothing, the tables are the result.
 *
 * <pre>args: PORT PID [requests=10000] [clients=16] [report.md]</pre>
 */
public final class Soak {

    private static final String CLASSIFY = "/v1/models/inception_next_atto/classify";
    private static final String BATCH = "/v1/models/inception_next_atto/classify-batch";
    private static final String RECOGNIZE = "/v1/models/ts_lstm_ucf101/recognize";
    private static final String SEGMENT = "/v1/models/ivd_net/segment";
    private static final Set<Integer> SERVED = Set.of(200, 503);

    /** One class of the mix: its share (per 1000 requests), the statuses it may get, and its request. */
    private record Kind(String name, int perMille, Set<Integer> expected, Supplier<Http.Response> request) {
    }

    /** Latencies and statuses of one class. */
    private static final class Tally {
        final Map<String, AtomicInteger> statuses = new ConcurrentHashMap<>();
        final List<Long> ms = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger unexpected = new AtomicInteger();
        volatile String firstUnexpected;
    }

    private record Memory(String point, int done, double rssMiB, double hwmMiB, double nmtCommittedMiB,
                          double heapCommittedMiB) {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        long pid = Long.parseLong(args[1]);
        int total = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
        int clients = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        Path report = args.length > 4 ? Path.of(args[4]) : null;
        Http http = new Http(port);

        List<Kind> kinds = mix(http);
        // request i is of class slots[i % 1000]: the mix holds in every thousand, in a fixed shuffled order
        List<Kind> slots = new ArrayList<>();
        for (Kind k : kinds) {
            slots.addAll(Collections.nCopies(k.perMille, k));
        }
        if (slots.size() != 1000) {
            throw new IllegalStateException("the mix sums to " + slots.size() + " per mille");
        }
        Collections.shuffle(slots, new Random(11));
        Map<String, Tally> tallies = new TreeMap<>();
        kinds.forEach(k -> tallies.put(k.name, new Tally()));

        List<Memory> memory = Collections.synchronizedList(new ArrayList<>());
        memory.add(memory("start", 0, pid));
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        for (int c = 0; c < clients; c++) {
            pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                    Kind k = slots.get(i % slots.size());
                    Tally t = tallies.get(k.name);
                    long t0 = System.nanoTime();
                    String status;
                    try {
                        int s = k.request.get().status();
                        status = Integer.toString(s);
                        if (!k.expected.contains(s)) {
                            t.unexpected.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        status = "error";
                        errors.incrementAndGet();
                        t.unexpected.incrementAndGet();
                        if (t.firstUnexpected == null) {
                            t.firstUnexpected = e.toString();
                        }
                    }
                    t.ms.add((System.nanoTime() - t0) / 1_000_000);
                    t.statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                    int n = done.incrementAndGet();
                    if (n == total / 2) {
                        memory.add(memory("middle", n, pid));
                    }
                    if (n % 1000 == 0) {
                        System.err.printf(Locale.ROOT, "%d/%d requests, %.0f s%n", n, total, (System.nanoTime() - start) / 1e9);
                    }
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(7, TimeUnit.DAYS);
        double seconds = (System.nanoTime() - start) / 1e9;
        memory.add(memory("end", done.get(), pid));

        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "%d requests from %d clients in %.0f s (%.1f requests/s); %d without an "
                + "answer; service %s at the end%n%n", done.get(), clients, seconds, done.get() / seconds, errors.get(),
                ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? "alive" : "NOT RUNNING"));
        md.append("| class | requests | statuses | unexpected | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|---|---|\n");
        for (Kind k : kinds) {
            Tally t = tallies.get(k.name);
            long[] ms = t.ms.stream().mapToLong(Long::longValue).sorted().toArray();
            if (ms.length == 0) {
                continue;
            }
            md.append(String.format(Locale.ROOT, "| %s | %d | %s | %d | %d | %d | %d |%n", k.name, ms.length,
                    new TreeMap<>(t.statuses), t.unexpected.get(), ms[ms.length / 2], ms[(int) (ms.length * 0.95)],
                    ms[ms.length - 1]));
        }
        md.append("\n| point | requests done | RSS MiB | peak RSS (VmHWM) MiB | NMT committed MiB | of which Java heap MiB "
                + "| RSS beyond NMT MiB |\n|---|---|---|---|---|---|---|\n");
        for (Memory m : memory) {
            md.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %s | %s | %s |%n", m.point, m.done, m.rssMiB,
                    m.hwmMiB, mib(m.nmtCommittedMiB), mib(m.heapCommittedMiB), mib(m.rssMiB - m.nmtCommittedMiB)));
        }
        tallies.forEach((name, t) -> {
            if (t.firstUnexpected != null) {
                md.append("\n").append(name).append(": first error: ").append(t.firstUnexpected);
            }
        });
        System.out.println(md);
        if (report != null) {
            Files.writeString(report, md);
        }
    }

    /** The classes of issue 11 (good, at the limit, past it), weighted per thousand requests. */
    private static List<Kind> mix(Http http) throws IOException {
        byte[] small = Images.gradientPng(64, 48);
        byte[] photo = Images.chelseaJpeg();
        byte[] heavy = HostilePngs.flatRgb(6000, 6000, 90);
        List<byte[]> bombs = List.of(HostilePngs.flatGrey(40_000_000, 1, 128), HostilePngs.flatGrey(1, 40_000_000, 128),
                HostilePngs.flatGrey(10, 4_000_000, 128));
        byte[] huge = HostilePngs.flatGrey(25_000, 25_000, 0);
        byte[] corrupt = Images.truncated(Images.gradientPng(640, 480), 2000);
        byte[] noise = new byte[20_000];
        new Random(1).nextBytes(noise);
        byte[] clip = TestClips.encode(TestClips.Kind.MP4_H264, 160, 120, 25, TestClips.frames(160, 120, 11, 3, 2));
        byte[] cutClip = Arrays.copyOf(clip, clip.length / 2);
        byte[] volume = HostileVolumes.flatGz(16, 64, 64, 0);
        byte[] hugeVolume = HostileVolumes.headerOnly(129, 512, 512, HostileVolumes.INT16);
        List<Http.Part> hugeFrame = frames(huge);
        AtomicInteger bomb = new AtomicInteger();
        Set<Integer> tooLarge = Set.of(413);
        return List.of(
                new Kind("good image (64x48 PNG)", 470, SERVED, () -> http.post(CLASSIFY, "image/png", small)),
                new Kind("good image (451x300 JPEG)", 200, SERVED,
                        () -> http.multipart(CLASSIFY, List.of(image("file", photo)))),
                new Kind("good batch (4 images)", 50, SERVED,
                        () -> http.multipart(BATCH, Collections.nCopies(4, image("files", small)))),
                new Kind("heavy image (6000x6000 RGB PNG)", 2, SERVED,
                        () -> http.multipart(CLASSIFY, List.of(image("file", heavy)), Duration.ofSeconds(300))),
                new Kind("aspect-ratio bomb (40000000x1, 1x40000000, 10x4000000)", 40, tooLarge,
                        () -> http.multipart(CLASSIFY, List.of(image("file", bombs.get(bomb.getAndIncrement() % 3))))),
                new Kind("huge dimensions (25000x25000 PNG)", 20, tooLarge,
                        () -> http.multipart(CLASSIFY, List.of(image("file", huge)))),
                new Kind("corrupt image (truncated PNG)", 40, Set.of(422),
                        () -> http.post(CLASSIFY, "image/png", corrupt)),
                new Kind("not an image (random bytes)", 20, Set.of(415), () -> http.post(CLASSIFY, "image/png", noise)),
                new Kind("duplicate file part", 20, Set.of(400),
                        () -> http.multipart(CLASSIFY, List.of(image("file", small), image("file", small)))),
                new Kind("batch with one bomb", 20, tooLarge, () -> http.multipart(BATCH, List.of(image("files", small),
                        image("files", bombs.get(0)), image("files", small)))),
                new Kind("frames with a 25000x25000 frame", 10, tooLarge, () -> http.multipart(RECOGNIZE, hugeFrame)),
                new Kind("truncated clip", 20, Set.of(422), () -> http.post(RECOGNIZE, "video/mp4", cutClip)),
                new Kind("good clip (11 frames 160x120, farneback)", 3, SERVED,
                        () -> http.post(RECOGNIZE + "?flow=farneback", "video/mp4", clip)),
                new Kind("volume header over max-volume-voxels", 20, tooLarge,
                        () -> http.multipart(SEGMENT, exam(hugeVolume, "nii"))),
                new Kind("good volume (16x64x64 NIfTI)", 5, SERVED, () -> http.multipart(SEGMENT, exam(volume, "nii.gz"))),
                new Kind("encoded slash in a model id", 30, Set.of(400), () -> http.get("/v1/models/a%2Fb")),
                new Kind("GET /error", 30, Set.of(404), () -> http.get("/error")));
    }

    private static Memory memory(String point, int done, long pid) {
        double rss = Double.NaN;
        double hwm = Double.NaN;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kib(line) / 1024.0;
                } else if (line.startsWith("VmHWM:")) {
                    hwm = kib(line) / 1024.0;
                }
            }
        } catch (IOException e) {
            // the service is gone: NaN says so
        }
        String nmt = jcmd(pid);
        return new Memory(point, done, rss, hwm, committed(nmt, "Total"), committed(nmt, "Java Heap"));
    }

    private static long kib(String statusLine) {
        return Long.parseLong(statusLine.replaceAll("[^0-9]", ""));
    }

    /** {@code jcmd PID VM.native_memory summary}; empty where jcmd or native memory tracking is missing. */
    private static String jcmd(long pid) {
        try {
            Process p = new ProcessBuilder("jcmd", Long.toString(pid), "VM.native_memory", "summary")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The committed KB of an NMT summary line ("Total: reserved=..KB, committed=..KB", "- Java Heap (reserved=.."), MiB. */
    private static double committed(String nmt, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what) + "\\W.*?committed=(\\d+)KB").matcher(nmt);
        return m.find() ? Long.parseLong(m.group(1)) / 1024.0 : Double.NaN;
    }

    private static String mib(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.0f", v);
    }

    private static Http.Part image(String name, byte[] bytes) {
        return new Http.Part(name, name + ".png", "image/png", bytes);
    }

    private static List<Http.Part> frames(byte[] bad) {
        List<Http.Part> parts = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            parts.add(new Http.Part("frames", "f.png", "image/png", i == 5 ? bad : HostilePngs.flatGrey(160, 120, 20 * i)));
        }
        return List.copyOf(parts);
    }

    private static List<Http.Part> exam(byte[] volume, String ext) {
        List<Http.Part> parts = new ArrayList<>();
        for (String m : List.of("fat", "inn", "opp", "wat")) {
            parts.add(new Http.Part(m, m + "." + ext, "application/octet-stream", volume));
        }
        return parts;
    }

    private Soak() {
    }
}
