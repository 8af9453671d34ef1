package org.visionserve.service.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API keys file: one key per line, {@code ROLE KEY [NAME]} or {@code ROLE sha256:HEX [NAME]} (the key's
 * SHA-256 in hex, so the file need not hold the secret), {@code #} comments and blank lines ignored. Roles
 * are {@code infer} and {@code admin}. A key's caller name is NAME, else {@code key-} and the first 8 hex
 * digits of its SHA-256 (a fingerprint that says nothing of the key).
 *
 * <p>The file is read again at most every reload interval, on the next request after it, when its content
 * changed (a rotation, or Kubernetes swapping a mounted Secret); a file that became unreadable or malformed
 * keeps the keys read before, with a warning. Keys are compared as SHA-256 digests in constant time
 * ({@link MessageDigest#isEqual}) against every entry, and never logged.
 */
final class ApiKeys {

    private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);
    private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");

    record Entry(String role, byte[] digest, String name) {
    }

    private record Loaded(byte[] fileDigest, List<Entry> entries) {
    }

    private final Path file;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final ReentrantLock reloading = new ReentrantLock();
    private volatile Loaded loaded;
    private volatile long checkedAt;

    ApiKeys(Path file, Duration interval, LongSupplier clock) {
        this.file = file;
        this.intervalNanos = interval.toNanos();
        this.clock = clock;
        try {
            byte[] bytes = Files.readAllBytes(file);
            this.loaded = new Loaded(sha256(bytes), parse(new String(bytes, StandardCharsets.UTF_8)));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("visionserve.security.api-keys-file " + file + ": " + e.getMessage(), e);
        }
        this.checkedAt = clock.getAsLong();
        log.info("API keys: {} read from {}", loaded.entries().size(), file);
    }

    /** The caller the key belongs to, or null. */
    Caller match(String key) {
        reloadIfDue();
        byte[] digest = sha256(key.getBytes(StandardCharsets.UTF_8));
        Set<String> roles = new TreeSet<>();
        String name = null;
        for (Entry e : loaded.entries()) { // every entry, so the time says nothing of which one matched
            if (MessageDigest.isEqual(digest, e.digest())) {
                roles.add(e.role());
                name = name != null ? name : e.name();
            }
        }
        return name == null ? null : new Caller(name, roles);
    }

    int size() {
        return loaded.entries().size();
    }

    private void reloadIfDue() {
        long now = clock.getAsLong();
        if (now - checkedAt < intervalNanos || !reloading.tryLock()) {
            return;
        }
        try {
            checkedAt = now;
            byte[] bytes = Files.readAllBytes(file);
            byte[] fileDigest = sha256(bytes);
            if (!MessageDigest.isEqual(fileDigest, loaded.fileDigest())) {
                loaded = new Loaded(fileDigest, parse(new String(bytes, StandardCharsets.UTF_8)));
                log.info("API keys: {} read again from {} (the file changed)", loaded.entries().size(), file);
            }
        } catch (IOException | IllegalArgumentException e) {
            log.warn("API keys file {} could not be read again, the keys read before stay: {}", file, e.getMessage());
        } finally {
            reloading.unlock();
        }
    }

    /** The entries of a keys file; the message of a bad line names its number, never its content. */
    static List<Entry> parse(String text) {
        List<Entry> entries = new ArrayList<>();
        String[] lines = text.split("\r?\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            String where = "line " + (i + 1);
            if (f.length < 2 || f.length > 3) {
                throw new IllegalArgumentException(where + ": expected ROLE KEY [NAME]");
            }
            String role = f[0];
            if (!role.equals(Caller.INFER) && !role.equals(Caller.ADMIN)) {
                throw new IllegalArgumentException(where + ": unknown role '" + role + "' (infer or admin)");
            }
            byte[] digest;
            if (f[1].startsWith("sha256:")) {
                String hex = f[1].substring("sha256:".length());
                if (!HEX64.matcher(hex).matches()) {
                    throw new IllegalArgumentException(where + ": sha256: needs 64 hex digits");
                }
                digest = HexFormat.of().parseHex(hex.toLowerCase(java.util.Locale.ROOT));
            } else {
                if (f[1].length() < 16) {
                    throw new IllegalArgumentException(where + ": a key needs at least 16 characters");
                }
                digest = sha256(f[1].getBytes(StandardCharsets.UTF_8));
            }
            String name;
            if (f.length == 3) {
                if (!NAME.matcher(f[2]).matches()) {
                    throw new IllegalArgumentException(where + ": a name is 1-64 of A-Z a-z 0-9 . _ @ -");
                }
                name = f[2];
            } else {
                name = "key-" + HexFormat.of().formatHex(digest, 0, 4);
            }
            entries.add(new Entry(role, digest, name));
        }
        return List.copyOf(entries);
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
