package org.visionserve.service.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Decoding and resizing against Pillow 9.4.0 itself: files and expected outputs made by
 * {@code src/test/resources/pillow/generate.py} (JPEG variants, CMYK, PNG modes incl. 16-bit,
 * palette, GIF, BMP, WebP, EXIF orientation; bicubic up/down/one-axis resizes).
 */
class PillowVectorsTest {

    private static final Path DIR = resources();
    private static final JsonNode MANIFEST = JsonMapper.shared().readTree(DIR.resolve("manifest.json").toFile());
    private final ImageDecoder decoder = new ImageDecoder(new ImageLimits(10_000_000, 10_000_000));

    static Stream<JsonNode> decodeCases() {
        return MANIFEST.get("decode").valueStream();
    }

    static Stream<JsonNode> resizeCases() {
        return MANIFEST.get("resize").valueStream();
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("decodeCases")
    void decodesAsPillow(JsonNode c) throws IOException {
        String file = c.get("file").asString();
        RgbImage img = decoder.decode(Files.readAllBytes(DIR.resolve(file)), null);
        byte[] expected = Files.readAllBytes(DIR.resolve(file + ".rgb"));
        assertEquals(c.get("width").asInt(), img.width(), file);
        assertEquals(c.get("height").asInt(), img.height(), file);
        if (c.get("exact").asBoolean()) {
            assertArrayEquals(expected, img.pixels(), file + " (" + c.get("what").asString() + ")");
            return;
        }
        // Lossy WebP: TwelveMonkeys' VP8 decoder is not libwebp; measure how far it is.
        int max = 0;
        long sum = 0;
        int differing = 0;
        for (int i = 0; i < expected.length; i++) {
            int d = Math.abs((expected[i] & 0xff) - (img.pixels()[i] & 0xff));
            max = Math.max(max, d);
            sum += d;
            differing += d != 0 ? 1 : 0;
        }
        double mean = (double) sum / expected.length;
        System.out.printf("%s vs libwebp: %d of %d bytes differ, max diff %d, mean abs diff %.3f%n", file, differing,
                expected.length, max, mean);
        assertTrue(max <= 8 && mean <= 1.0, file + ": max " + max + ", mean " + mean);
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("resizeCases")
    void resizesAsPillow(JsonNode c) throws IOException {
        RgbImage in = new RgbImage(c.get("from").get(0).asInt(), c.get("from").get(1).asInt(),
                Files.readAllBytes(DIR.resolve(c.get("input").asString())));
        RgbImage out = PillowResize.resize(in, c.get("to").get(0).asInt(), c.get("to").get(1).asInt());
        assertArrayEquals(Files.readAllBytes(DIR.resolve(c.get("file").asString())), out.pixels(),
                c.get("file").asString());
    }

    private static Path resources() {
        try {
            return Path.of(PillowVectorsTest.class.getResource("/pillow/manifest.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
