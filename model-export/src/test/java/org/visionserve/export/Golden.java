package org.visionserve.export;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A golden folder of {@code src/test/resources/golden/<model>} (vendored; see its README.md): the
 * reference manifest and output tensors.
 */
public final class Golden {

    private final Path dir;
    private final JsonNode manifest;

    private Golden(Path dir) {
        this.dir = dir;
        this.manifest = JsonMapper.shared().readTree(dir.resolve("manifest.json").toFile());
    }

    /** The golden folder on the test class path (a directory under target/test-classes). */
    public static Path root() {
        URL url = Golden.class.getResource("/golden/seeded-init-check.json");
        if (url == null) {
            throw new IllegalStateException("golden/ is not on the test class path");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code model} has a golden folder. */
    public static boolean exists(String model) {
        return Files.isRegularFile(root().resolve(model).resolve("manifest.json"));
    }

    public static Golden of(String model) {
        if (!exists(model)) {
            throw new IllegalArgumentException("no golden for " + model + " under " + root());
        }
        return new Golden(root().resolve(model));
    }

    public JsonNode manifest() {
        return manifest;
    }

    public Path dir() {
        return dir;
    }

    /** The reference state dict: every key with its shape, in order. */
    public Map<String, long[]> stateDict() {
        Map<String, long[]> keys = new LinkedHashMap<>();
        for (JsonNode e : manifest.get("state_dict")) {
            JsonNode shape = e.get(1);
            long[] s = new long[shape.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = shape.get(i).asLong();
            }
            keys.put(e.get(0).asString(), s);
        }
        return keys;
    }

    public long paramCount() {
        return manifest.get("param_count").asLong();
    }

    /** A little-endian float32 output file of the golden folder. */
    public float[] floats(String file) {
        try {
            byte[] bytes = Files.readAllBytes(dir.resolve(file));
            float[] out = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
