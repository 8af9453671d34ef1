package org.visionserve.export;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** iFormer S/B/L reproduce the authors' seeded goldens at full size on ONNX Runtime. */
class IFormerGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"iformer_small", "iformer_base", "iformer_large"})
    void reproducesGolden(String modelId) throws Exception {
        GoldenCheck.verify(modelId);
    }
}
