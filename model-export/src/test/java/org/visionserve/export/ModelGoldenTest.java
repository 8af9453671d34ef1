package org.visionserve.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.visionserve.export.models.ModelDef;
import org.visionserve.export.models.ModelRegistry;

/**
 * Golden parity for the whole model registry: every registered model reproduces its reference golden
 * at full size on ONNX Runtime ({@link GoldenCheck}), or is exempt in {@code golden/exemptions.json}
 * with its reason. The list comes from {@link ModelRegistry}, so a new model cannot go untested.
 *
 * <p>{@code -Dgolden.models=ID_OR_FAMILY,...} (e.g. {@code inception_next_tiny} or {@code iformer})
 * narrows the parity runs while working on a port; the coverage check always sees the whole registry.
 */
class ModelGoldenTest {

    static Stream<String> modelsWithGolden() {
        List<String> selectors = selectors();
        for (String s : selectors) {
            assertThat(ModelRegistry.all()).as("-Dgolden.models entry %s (a model id or family)", s)
                    .anyMatch(m -> matches(m, s));
        }
        return ModelRegistry.all().stream()
                .filter(m -> selectors.isEmpty() || selectors.stream().anyMatch(s -> matches(m, s)))
                .map(ModelDef::id)
                .filter(Golden::exists);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modelsWithGolden")
    void reproducesGolden(String modelId) throws Exception {
        GoldenCheck.verify(modelId);
    }

    @Test
    void everyRegisteredModelHasAGoldenOrAWrittenExemption() {
        List<String> registered = ModelRegistry.all().stream().map(ModelDef::id).toList();
        Map<String, String> exemptions = GoldenCoverage.exemptions(Golden.root());
        exemptions.forEach((id, reason) -> System.out.printf("GOLDEN %s: exempt (%s)%n", id, reason));
        assertThat(GoldenCoverage.problems(registered, GoldenCoverage.goldens(Golden.root()), exemptions))
                .as("golden coverage of the registry").isEmpty();
    }

    /** The rule itself, on a made-up registry: each kind of breach is reported, a covered set is not. */
    @Test
    void coverageRuleReportsEveryBreach() {
        List<String> registered = List.of("a", "b", "c", "d", "e");
        Set<String> goldens = Set.of("a", "b", "stale_golden");
        Map<String, String> exemptions = Map.of("b", "has a golden too", "c", "no reference runtime", "d", " ",
                "stale_exemption", "gone");
        assertThat(GoldenCoverage.problems(registered, goldens, exemptions)).containsExactlyInAnyOrder(
                "b: has a golden, so its exemption must go",
                "d: exemption without a reason",
                "e: registered, but has neither a golden nor an exemption",
                "stale_golden: golden for a model the registry lacks",
                "stale_exemption: exemption for a model the registry lacks");
        assertThat(GoldenCoverage.problems(List.of("a", "c"), Set.of("a"), Map.of("c", "no reference runtime")))
                .isEmpty();
    }

    private static List<String> selectors() {
        String prop = System.getProperty("golden.models", "");
        return Arrays.stream(prop.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static boolean matches(ModelDef m, String selector) {
        return m.id().equals(selector) || m.family().equals(selector);
    }
}
