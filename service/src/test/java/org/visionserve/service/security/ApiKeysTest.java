package org.visionserve.service.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

@ExtendWith(OutputCaptureExtension.class)
class ApiKeysTest {

    static final String KEY = "a-key-of-twenty-chars";

    @TempDir
    Path dir;

    final AtomicLong clock = new AtomicLong();

    @Test
    void plainAndSha256LinesWithRolesAndNames() throws Exception {
        String hex = HexFormat.of().formatHex(ApiKeys.sha256("another-key-0123456".getBytes(StandardCharsets.UTF_8)));
        ApiKeys keys = keys("# comment\n\ninfer " + KEY + "\nadmin sha256:" + hex.toUpperCase() + " ops\n");
        Caller infer = keys.match(KEY);
        assertThat(infer.roles()).containsExactly("infer");
        assertThat(infer.name()).isEqualTo("key-" + HexFormat.of().formatHex(
                ApiKeys.sha256(KEY.getBytes(StandardCharsets.UTF_8))).substring(0, 8));
        Caller admin = keys.match("another-key-0123456");
        assertThat(admin.name()).isEqualTo("ops");
        assertThat(admin.roles()).containsExactlyInAnyOrder("admin", "infer");
        assertThat(keys.match("sha256:" + hex)).as("the digest is not itself a key").isNull();
        assertThat(keys.match(KEY + "x")).isNull();
    }

    @Test
    void badLinesNameTheLineNeverTheKey() {
        assertThatThrownBy(() -> ApiKeys.parse("infer " + KEY + "\nroot " + KEY))
                .hasMessageContaining("line 2").hasMessageContaining("unknown role").hasMessageNotContaining(KEY);
        assertThatThrownBy(() -> ApiKeys.parse("infer short")).hasMessageContaining("at least 16");
        assertThatThrownBy(() -> ApiKeys.parse("infer sha256:abc")).hasMessageContaining("64 hex");
        assertThatThrownBy(() -> ApiKeys.parse("infer")).hasMessageContaining("ROLE KEY");
    }

    @Test
    void missingFileFailsAtStart() {
        assertThatThrownBy(() -> new ApiKeys(dir.resolve("absent"), Duration.ofSeconds(1), clock::get))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("api-keys-file");
    }

    @Test
    void changedFileIsReadAfterTheIntervalAndABrokenOneKeepsTheOldKeys(CapturedOutput output) throws Exception {
        ApiKeys keys = keys("infer " + KEY + "\n");
        Files.writeString(dir.resolve("keys"), "admin " + KEY + "-2\n");
        assertThat(keys.match(KEY)).as("before the interval").isNotNull();
        clock.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(keys.match(KEY)).isNull();
        assertThat(keys.match(KEY + "-2").roles()).contains("admin");

        Files.writeString(dir.resolve("keys"), "superuser " + KEY + "\n");
        clock.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(keys.match(KEY + "-2")).as("kept").isNotNull();
        assertThat(output.getOut()).contains("could not be read again").doesNotContain(KEY);
    }

    private ApiKeys keys(String text) throws Exception {
        Path f = dir.resolve("keys");
        Files.writeString(f, text);
        return new ApiKeys(f, Duration.ofSeconds(5), clock::get);
    }
}
