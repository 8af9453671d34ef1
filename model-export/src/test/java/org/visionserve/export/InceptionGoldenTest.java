package org.visionserve.export;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Inception-v4 and Inception-ResNet-v2 reproduce timm's seeded goldens at full size (299 px) on ONNX Runtime. */
class InceptionGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"inception_v4", "inception_resnet_v2"})
    void reproducesGolden(String modelId) throws Exception {
        GoldenCheck.verify(modelId);
    }
}
