package org.visionserve.export.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.visionserve.export.Golden;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.weights.SeededWeights;

/** The iFormer export is tied to 224 px: other sizes are refused, not silently mis-built. */
class IFormerTest {

    @Test
    void rejectsInputSizesOtherThanNative() {
        Graph g = new Graph("iformer_small", new SeededWeights(0));
        assertThatThrownBy(() -> IFormer.build(g, IFormer.SMALL, 384))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only the native 224x224")
                .hasMessageContaining("384x384");
        assertThat(g.declaredKeys()).isEmpty();
    }

    @Test
    void declaresTheStateDictInTheReferenceOrder() {
        Graph g = new Graph("iformer_small", new SeededWeights(0));
        IFormer.build(g, IFormer.SMALL, 224);
        assertThat(List.copyOf(g.declaredKeys().keySet()))
                .containsExactlyElementsOf(Golden.of("iformer_small").stateDict().keySet());
    }

    @Test
    void attentionHeadsFollowTheFrequencyRamp() {
        assertThat(IFormer.SMALL.attentionHeads()).containsExactly(1, 1, 1, 3, 3, 3, 7, 7, 7, 7, 9, 9, 9, 9, 9, 11, 11, 11);
        for (IFormer.Config c : new IFormer.Config[] {IFormer.SMALL, IFormer.BASE, IFormer.LARGE}) {
            assertThat(c.attentionHeads()).hasSize(java.util.Arrays.stream(c.depths()).sum());
        }
    }

    @Test
    void preprocessingIsTheFixed224Config() {
        Preprocessing p = ModelRegistry.get("iformer_base").preprocessing();
        assertThat(p.inputSize()).isEqualTo(224);
        assertThat(p.resizeShorterSide()).isEqualTo(248);
        assertThat(p.interpolation()).isEqualTo("bicubic");
        assertThat(p.fixedInputSize()).isTrue();
    }
}
