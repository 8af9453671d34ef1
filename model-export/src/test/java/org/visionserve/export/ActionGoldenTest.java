package org.visionserve.export;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The two-stream ResNet-101 feature extractors and the Temporal-Inception and TS-LSTM heads
 * reproduce the seeded goldens of the reference (torchvision / the spec's PyTorch port) at full size
 * on ONNX Runtime, every output the manifests list.
 */
class ActionGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"temporal_inception_ucf101", "ts_lstm_ucf101", "resnet101_rgb", "resnet101_flow"})
    void reproducesGolden(String modelId) throws Exception {
        GoldenCheck.verify(modelId);
    }
}
