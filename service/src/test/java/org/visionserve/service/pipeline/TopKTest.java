package org.visionserve.service.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.visionserve.service.pipeline.Prediction;

class TopKTest {

    @Test
    void softmaxOfOneRowOfABatch() {
        // Two rows of three logits; the second row is [1, 2, 3].
        float[] logits = {9, 9, 9, 1, 2, 3};
        List<Prediction> top = TopK.softmaxTopK(logits, 3, 3, 2, List.of("a", "b", "c"));
        double sum = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertThat(top).extracting(Prediction::index).containsExactly(2, 1);
        assertThat(top).extracting(Prediction::label).containsExactly("c", "b");
        assertThat(top.get(0).probability()).isCloseTo(Math.exp(3) / sum, within(1e-12));
        assertThat(top.get(1).probability()).isCloseTo(Math.exp(2) / sum, within(1e-12));
    }

    @Test
    void largeLogitsDoNotOverflowAndMissingLabelsAreNamed() {
        float[] logits = {1000, 1001, -1000};
        List<Prediction> top = TopK.softmaxTopK(logits, 0, 3, 3, null);
        assertThat(top).extracting(Prediction::label).containsExactly("class_1", "class_0", "class_2");
        assertThat(top.get(0).probability()).isCloseTo(1 / (1 + Math.exp(-1)), within(1e-12));
        assertThat(top.stream().mapToDouble(Prediction::probability).sum()).isCloseTo(1.0, within(1e-12));
    }
}
