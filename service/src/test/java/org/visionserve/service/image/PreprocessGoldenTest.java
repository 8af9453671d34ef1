package org.visionserve.service.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.visionserve.export.models.Preprocessing;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * timm's eval transform on a real photo (test resources golden/preprocess, vendored; see golden/README.md): decode, Pillow bicubic resize,
 * centre crop and normalise, against the reference's uint8 crop and float32 tensor, at full size.
 */
class PreprocessGoldenTest {

    private static final Path DIR = resources();
    private static final JsonNode MANIFEST = JsonMapper.shared().readTree(DIR.resolve("manifest.json").toFile());

    static Stream<JsonNode> cases() {
        return MANIFEST.get("cases").valueStream();
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("cases")
    void matchesTimmEvalTransform(JsonNode c) throws Exception {
        String model = c.get("config_of").asString();
        JsonNode cfg = c.get("resolved_data_config");
        int size = cfg.get("input_size").get(1).asInt();
        Preprocessing p = Preprocessing.timm(size, cfg.get("crop_pct").asDouble(), floats(cfg.get("mean")),
                floats(cfg.get("std")), false);
        JsonNode resize = c.get("steps").get(1);
        assertEquals(resize.get("target_shorter_side").asInt(), p.resizeShorterSide(), "S = floor(size / crop_pct)");

        byte[] png = Files.readAllBytes(DIR.resolve(MANIFEST.get("image").get("file").asString()));
        assertEquals(MANIFEST.get("image").get("sha256").asString(),
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png)));
        RgbImage image = new ImageDecoder(new ImageLimits(50_000_000, 50_000_000)).decode(png, "image/png");
        assertEquals(MANIFEST.get("image").get("width").asInt(), image.width());
        assertEquals(MANIFEST.get("image").get("height").asInt(), image.height());

        RgbImage crop = ImagePreprocessor.resizeAndCrop(image, p);
        byte[] refCrop = Files.readAllBytes(DIR.resolve(model + ".crop.u8"));
        assertEquals(refCrop.length, crop.pixels().length);
        int differing = 0;
        int maxDiff = 0;
        long sumDiff = 0;
        for (int i = 0; i < refCrop.length; i++) {
            int d = Math.abs((refCrop[i] & 0xff) - (crop.pixels()[i] & 0xff));
            differing += d != 0 ? 1 : 0;
            maxDiff = Math.max(maxDiff, d);
            sumDiff += d;
        }
        System.out.printf("%s crop %dx%d: %d of %d bytes differ, max diff %d, mean abs diff %.6f%n", model, size,
                size, differing, refCrop.length, maxDiff, (double) sumDiff / refCrop.length);

        float[] tensor = ImagePreprocessor.preprocess(image, p);
        float[] ref = readF32(DIR.resolve(model + ".f32"));
        assertEquals(ref.length, tensor.length);
        double sumAbs = 0;
        double maxAbs = 0;
        int differingValues = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs(ref[i] - tensor[i]);
            sumAbs += d;
            maxAbs = Math.max(maxAbs, d);
            differingValues += d != 0 ? 1 : 0;
        }
        double meanAbs = sumAbs / ref.length;
        System.out.printf("%s tensor [3,%d,%d]: %d of %d values differ, max abs diff %.3g, mean abs diff %.3g%n",
                model, size, size, differingValues, ref.length, maxAbs, meanAbs);

        // Bit-exact, as README claims: not one crop byte and not one float32 of the tensor may differ.
        assertEquals(0, differing, "crop bytes differing from Pillow's (max diff " + maxDiff + ")");
        assertEquals(0.0, maxAbs, "max abs diff of the tensor (" + differingValues + " values differ)");
        JsonNode first8 = c.get("outputs").get(0).get("first8");
        float[] expectedFirst = new float[8];
        for (int i = 0; i < 8; i++) {
            expectedFirst[i] = (float) first8.get(i).asDouble();
        }
        assertArrayEquals(expectedFirst, java.util.Arrays.copyOf(ref, 8), "golden file matches its manifest");
    }

    private static float[] floats(JsonNode a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) a.get(i).asDouble();
        }
        return f;
    }

    static float[] readF32(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    private static Path resources() {
        try {
            return Path.of(PreprocessGoldenTest.class.getResource("/golden/preprocess/manifest.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
