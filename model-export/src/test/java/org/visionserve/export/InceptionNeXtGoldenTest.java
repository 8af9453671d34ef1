package org.visionserve.export;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** InceptionNeXt T/S/B/B@384 reproduce timm's seeded goldens at full size on ONNX Runtime. */
class InceptionNeXtGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"inception_next_tiny", "inception_next_small", "inception_next_base",
            "inception_next_base_384"})
    void reproducesGolden(String modelId) throws Exception {
        GoldenCheck.verify(modelId);
    }
}
