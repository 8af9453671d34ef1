package org.visionserve.export;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.visionserve.export.weights.SeededInit;
import org.visionserve.export.weights.Tensor;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The generator reproduces {@code golden/seeded-init-check.json} (test resources) bit for bit. */
class SeededInitTest {

    private final JsonNode check = JsonMapper.shared()
            .readTree(Golden.root().resolve("seeded-init-check.json").toFile());

    @Test
    void streamsMatchTheCheckFileExactly() {
        assertThat(check.get("cases").size()).isGreaterThan(0);
        for (JsonNode c : check.get("cases")) {
            String name = c.get("name").asString();
            assertThat(String.format("0x%016x", SeededInit.fnv1a64(name))).as("fnv1a64(%s)", name)
                    .isEqualTo(c.get("fnv1a64").asString());
            double[] r = SeededInit.stream(name, c.get("r_first4").size(), 0);
            for (int i = 0; i < r.length; i++) {
                assertThat(Double.doubleToRawLongBits(r[i])).as("r[%d] of %s", i, name)
                        .isEqualTo(Double.doubleToRawLongBits(c.get("r_first4").get(i).asDouble()));
            }
        }
    }

    @Test
    void tensorValuesMatchTheCheckFileBitForBit() {
        assertThat(check.get("values").size()).isGreaterThan(0);
        for (JsonNode v : check.get("values")) {
            String name = v.get("name").asString();
            Tensor t = SeededInit.tensor(name, GoldenCheck.longs(v.get("shape")), check.get("seed").asLong());
            JsonNode bits = v.get("first_bits");
            for (int i = 0; i < bits.size(); i++) {
                int expected = Integer.parseUnsignedInt(bits.get(i).asString().substring(2), 16);
                assertThat(Integer.toHexString(Float.floatToRawIntBits(t.get(i)))).as("%s[%d]", name, i)
                        .isEqualTo(Integer.toHexString(expected));
            }
        }
    }
}
