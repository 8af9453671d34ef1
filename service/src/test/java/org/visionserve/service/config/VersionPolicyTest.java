package org.visionserve.service.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class VersionPolicyTest {

    @Test
    void selectsAsTritonDoes() {
        List<Integer> found = List.of(1, 2, 5, 7);
        assertThat(VersionPolicy.parse(null).select(found)).containsExactly(7);
        assertThat(VersionPolicy.parse("latest").select(found)).containsExactly(7);
        assertThat(VersionPolicy.parse("latest:3").select(found)).containsExactly(2, 5, 7);
        assertThat(VersionPolicy.parse("latest:9").select(found)).containsExactly(1, 2, 5, 7);
        assertThat(VersionPolicy.parse("all").select(found)).containsExactly(1, 2, 5, 7);
        assertThat(VersionPolicy.parse(" specific: 5, 1, 3 ").select(found)).containsExactly(1, 5);
        assertThat(VersionPolicy.parse("specific:3").select(found)).isEmpty();
        assertThat(VersionPolicy.parse("specific:5,1").toString()).isEqualTo("specific:5,1");
    }

    @Test
    void refusesWhatItCannotRead() {
        for (String bad : new String[] {"newest", "latest:0", "latest:x", "all:2", "specific:", "specific:0", "specific:a"}) {
            assertThatThrownBy(() -> VersionPolicy.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("version-policy '" + bad + "'");
        }
    }
}
