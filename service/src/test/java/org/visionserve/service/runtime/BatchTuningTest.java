package org.visionserve.service.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Which batch size the warm-up's measurement chooses. */
class BatchTuningTest {

    @Test
    void batchesGrowOnlyWhereTheyAreClearlyFaster() {
        // A CPU where larger batches are slower per item (the benchmark machine): single items.
        assertThat(BatchTuning.choose(rates(1, 31.0, 2, 29.4, 4, 28.3, 8, 27.0))).isEqualTo(1);
        // A larger batch within 5% of the best is no gain worth its latency: the smaller one.
        assertThat(BatchTuning.choose(rates(1, 30.0, 2, 31.4, 4, 30.5, 8, 29.0))).isEqualTo(1);
        // A GPU: every doubling faster; the largest within 5% of the best.
        assertThat(BatchTuning.choose(rates(1, 100.0, 2, 190.0, 4, 350.0, 8, 600.0))).isEqualTo(8);
        assertThat(BatchTuning.choose(rates(1, 100.0, 2, 190.0, 4, 590.0, 8, 600.0))).isEqualTo(4);
    }

    @Test
    void candidatesArePowersOfTwoUpToTheMaximumAndThePreferredSizes() {
        assertThat(BatchTuning.candidates(8, List.of())).containsExactly(1, 2, 4, 8);
        assertThat(BatchTuning.candidates(12, List.of(6, 32))).containsExactly(1, 2, 4, 6, 8, 12);
        assertThat(BatchTuning.candidates(1, List.of())).containsExactly(1);
    }

    private static TreeMap<Integer, Double> rates(Object... sizeRate) {
        TreeMap<Integer, Double> m = new TreeMap<>();
        for (int i = 0; i < sizeRate.length; i += 2) {
            m.put((Integer) sizeRate[i], (Double) sizeRate[i + 1]);
        }
        return m;
    }
}
