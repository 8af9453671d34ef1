package org.visionserve.service.config;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The service's folders in {@code java.io.tmpdir}: none may outlive the process that made it.
 *
 * <p>The embedded server's folder (work files and the multipart upload spool) is named after the
 * process id, removed when the server stops, and removed by the next start if the process died
 * without stopping (killed, or ended by {@code -XX:+ExitOnOutOfMemoryError}).
 *
 * <p>ONNX Runtime's Java binding copies its natives into an {@code onnxruntime-java*} folder and asks
 * the JVM to delete the folder on exit before the files in it (delete-on-exit goes last registered,
 * first deleted), so the folder is still full when its turn comes and stays behind, empty, after
 * every run. {@link #deleteOrtTempDirAtExit()} deletes it with its files at exit instead; on Linux
 * the loaded libraries stay mapped.
 */
public final class TempDirs {

    private static final String SERVER_PREFIX = "visionserve-server-";
    private static final Pattern SERVER_DIR = Pattern.compile(Pattern.quote(SERVER_PREFIX) + "(\\d+)-\\d+");
    private static final AtomicBoolean ORT_HOOK = new AtomicBoolean();

    private TempDirs() {
    }

    /** A new folder for this process's embedded server, after removing those of processes no longer running. */
    public static Path serverDir() throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, SERVER_PREFIX + "*")) {
            for (Path dir : dirs) {
                Matcher m = SERVER_DIR.matcher(dir.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    deleteTree(dir);
                }
            }
        } catch (IOException | RuntimeException e) {
            // someone else's folder, or a race with another start: not ours to insist on
        }
        return Files.createTempDirectory(tmp, SERVER_PREFIX + ProcessHandle.current().pid() + "-");
    }

    /** Registers, once per JVM, the removal of ONNX Runtime's native-library folder at exit. */
    public static void deleteOrtTempDirAtExit() {
        if (!ORT_HOOK.compareAndSet(false, true)) {
            return;
        }
        Path dir = ortTempDir();
        if (dir != null) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "ort-temp-dir-cleanup"));
        }
    }

    /** The binding keeps the folder in a private field; null if this version has none (nothing to do then). */
    private static Path ortTempDir() {
        try {
            Field f = Class.forName("ai.onnxruntime.OnnxRuntime").getDeclaredField("tempDirectory");
            f.setAccessible(true);
            return (Path) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** Deletes a folder and everything in it, as far as it can. */
    public static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // already gone, or not ours to delete
        }
    }
}
