package org.visionserve.service.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.visionserve.service.pipeline.InvalidParameterException;

/** A request's deadline: the shortest of its task's, its {@code timeout} parameter and its {@code Request-Timeout} header. */
class RequestScopesTest {

    private static final Duration TASK = Duration.ofSeconds(30);

    @Test
    void secondsDecimalsAndDurationsAreRead() {
        assertThat(RequestScopes.timeout(TASK, "2", null)).isEqualTo(Duration.ofSeconds(2));
        assertThat(RequestScopes.timeout(TASK, "2.5", null)).isEqualTo(Duration.ofMillis(2500));
        assertThat(RequestScopes.timeout(TASK, " 0.25 ", null)).isEqualTo(Duration.ofMillis(250));
        assertThat(RequestScopes.timeout(TASK, "500ms", null)).isEqualTo(Duration.ofMillis(500));
        assertThat(RequestScopes.timeout(TASK, "+3", null)).as("a bare number is seconds, signed or not")
                .isEqualTo(Duration.ofSeconds(3));
        assertThat(RequestScopes.timeout(TASK, null, "7")).isEqualTo(Duration.ofSeconds(7));
        assertThat(RequestScopes.timeout(TASK, null, "1500ms")).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void theShortestOfTaskParameterAndHeaderWins() {
        assertThat(RequestScopes.timeout(TASK, null, null)).isEqualTo(TASK);
        assertThat(RequestScopes.timeout(TASK, "", " ")).as("blank: not given").isEqualTo(TASK);
        assertThat(RequestScopes.timeout(TASK, "4", "9")).isEqualTo(Duration.ofSeconds(4));
        assertThat(RequestScopes.timeout(TASK, "9", "4")).isEqualTo(Duration.ofSeconds(4));
        assertThat(RequestScopes.timeout(TASK, "600", "2m")).as("a client may not lengthen its deadline").isEqualTo(TASK);
        assertThat(RequestScopes.timeout(Duration.ofSeconds(1), "5", "5")).isEqualTo(Duration.ofSeconds(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0.0", "-1", "-2.5", "abc", "1e3", "PT1S", "2.5s", ".5", "5 s", "0ms", "NaN"})
    void anythingElseIsAnInvalidParameterNamingWhereItCameFrom(String value) {
        assertThatThrownBy(() -> RequestScopes.timeout(TASK, value, null))
                .isInstanceOfSatisfying(InvalidParameterException.class, e -> {
                    assertThat(e.parameter()).isEqualTo("timeout");
                    assertThat(e.getMessage()).contains("'" + value + "'");
                });
        assertThatThrownBy(() -> RequestScopes.timeout(TASK, "10", value))
                .isInstanceOfSatisfying(InvalidParameterException.class,
                        e -> assertThat(e.parameter()).isEqualTo("Request-Timeout"));
    }
}
