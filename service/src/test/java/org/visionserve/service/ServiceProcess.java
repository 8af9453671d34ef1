package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.visionserve.service.config.TempDirs;

/**
 * The packaged service jar in a child JVM with the flags the image ships ({@code -Xmx2g
 * -XX:+ExitOnOutOfMemoryError}: an OutOfMemoryError ends the process), a fresh {@code java.io.tmpdir}
 * and a random port, serving models exported by the service itself into {@code target/it/models} on
 * the first run (kept for the next). For the failsafe ITs; reads the process's memory and CPU from
 * {@code /proc}.
 */
public final class ServiceProcess {

    /** The JVM flags of the image (Dockerfile, Helm chart); -UsePerfData: no hsperfdata file in the tmpdir. */
    public static final List<String> SHIPPED_FLAGS = List.of("-Xmx2g", "-XX:+ExitOnOutOfMemoryError",
            "-XX:-UsePerfData");

    private static final Pattern PORT = Pattern.compile("Tomcat started on port (\\d+)");
    /** Only so that a service that never gets there fails the run instead of hanging it (first run: exports). */
    private static final long START_MINUTES = 10;
    private static final long CLOCK_TICKS = clockTicks();

    private final Path dir;
    private final Path tmp;
    private final Path log;
    private Process process;
    private Http http;

    /** A service of this name: its tmpdir {@code target/it/NAME/tmp} is emptied now, its log is {@code NAME/service.log}. */
    public ServiceProcess(String name) throws IOException {
        Path it = Path.of(System.getProperty("it.dir", "target/it"));
        this.dir = it.resolve(name);
        this.tmp = dir.resolve("tmp");
        TempDirs.deleteTree(tmp);
        Files.createDirectories(tmp);
        this.log = dir.resolve("service.log");
    }

    /** Starts the jar serving {@code models} (comma-separated ids) with {@code args} added, and waits until it is ready. */
    public ServiceProcess start(String models, String... args) throws Exception {
        Path repo = Path.of(System.getProperty("it.dir", "target/it")).resolve("models").toAbsolutePath();
        List<String> command = new ArrayList<>(List.of(javaBin()));
        command.addAll(SHIPPED_FLAGS);
        command.addAll(List.of("-Djava.io.tmpdir=" + tmp.toAbsolutePath(), "-jar", System.getProperty("service.jar"),
                "--server.port=0", "--visionserve.grpc.port=0", "--visionserve.models.dir=" + repo, "--visionserve.models.defaults=" + models,
                "--visionserve.runtime.intra-op-threads=2"));
        command.addAll(List.of(args));
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(START_MINUTES);
        http = new Http(awaitPort(deadline));
        while (!isReady()) {
            assertThat(process.isAlive()).as("service running while loading; log: %s", log).isTrue();
            assertThat(System.nanoTime()).as("ready within %d minutes; log: %s", START_MINUTES, log).isLessThan(deadline);
            Thread.sleep(500);
        }
        return this;
    }

    public Http http() {
        return http;
    }

    public int port() {
        return http.port();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public Path tmp() {
        return tmp;
    }

    public Path log() {
        return log;
    }

    /** SIGTERM (a graceful stop), then waits for the process to end; false if it had not ended in 2 minutes. */
    public boolean stop() throws InterruptedException {
        if (process == null) {
            return true;
        }
        process.destroy();
        return process.waitFor(2, TimeUnit.MINUTES);
    }

    /** Why the process ended, for a report: its exit code and the log's OutOfMemoryError line if any. */
    public String exitReason() {
        if (process == null || process.isAlive()) {
            return "running";
        }
        String oom = "";
        try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
            oom = lines.filter(l -> l.contains("OutOfMemoryError")).reduce((a, b) -> b).map(l -> ": " + l.trim()).orElse("");
        } catch (IOException | java.io.UncheckedIOException e) {
            // the exit code says enough
        }
        return "exited with code " + process.exitValue() + oom;
    }

    /**
     * The Java heap's committed size ({@code jcmd PID GC.heap_info}, "heap total"), MiB: RSS beyond it is
     * the rest of the JVM and the native libraries (ONNX Runtime, FFmpeg, OpenCV). NaN if jcmd cannot tell.
     */
    public double heapCommittedMiB() {
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid()), "GC.heap_info").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = Pattern.compile("heap\\s+total (\\d+)K").matcher(out);
            return p.waitFor() == 0 && m.find() ? Long.parseLong(m.group(1)) / 1024.0 : Double.NaN;
        } catch (IOException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /** Resident memory now ({@code VmRSS}), MiB; NaN once the process is gone. */
    public double rssMiB() {
        return statusKiB("VmRSS:") / 1024.0;
    }

    /** The resident high-water mark ({@code VmHWM}) since the start or the last {@link #resetPeakRss}, MiB. */
    public double peakRssMiB() {
        return statusKiB("VmHWM:") / 1024.0;
    }

    /**
     * Resets {@code VmHWM} to the current RSS (writes 5 to {@code /proc/PID/clear_refs}); false where the
     * kernel does not allow it, and the peak then counts from the start.
     */
    public boolean resetPeakRss() {
        try {
            Files.writeString(proc("clear_refs"), "5");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** CPU time the process has used, user + system ({@code /proc/PID/stat} utime + stime), seconds; NaN once it is gone. */
    public double cpuSeconds() {
        try {
            String stat = Files.readString(proc("stat"));
            // fields after the command name in parentheses (which may hold spaces): state is field 3
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CLOCK_TICKS;
        } catch (java.nio.file.NoSuchFileException e) {
            return Double.NaN;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the service's CPU time; log: " + log, e);
        }
    }

    /** A {@code /proc/PID/status} field in KiB; NaN once the process is gone (it may be exiting as we read). */
    private double statusKiB(String field) {
        try {
            for (String line : Files.readAllLines(proc("status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
            throw new IllegalStateException("no " + field + " in /proc/" + pid() + "/status");
        } catch (java.nio.file.NoSuchFileException e) {
            return Double.NaN;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the service's memory; log: " + log, e);
        }
    }

    private Path proc(String file) {
        return Path.of("/proc", Long.toString(pid()), file);
    }

    private int awaitPort(long deadline) throws Exception {
        while (true) {
            assertThat(process.isAlive()).as("service starting; log: %s", log).isTrue();
            assertThat(System.nanoTime()).as("port open within %d minutes; log: %s", START_MINUTES, log).isLessThan(deadline);
            Matcher m = PORT.matcher(Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "");
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            Thread.sleep(200);
        }
    }

    private boolean isReady() {
        try {
            return http.get("/actuator/health/readiness").status() == 200;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The kernel's clock ticks per second, the unit of utime and stime (USER_HZ: 100 on Linux, checked). */
    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            return p.waitFor() == 0 ? Long.parseLong(out) : 100;
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }

    public static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
