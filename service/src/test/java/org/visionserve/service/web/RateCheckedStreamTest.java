package org.visionserve.service.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.visionserve.service.web.UploadRateFilter.RateCheckedStream;
import org.visionserve.service.web.UploadRateFilter.UploadTooSlowException;

/** The minimum-rate rule on a stepped clock: no grace-period waits, nothing left to timing. */
class RateCheckedStreamTest {

    private static final long SECOND = 1_000_000_000L;

    private long now;
    private final AtomicBoolean failed = new AtomicBoolean();

    @Test
    void aBodyBelowTheRateIsServedDuringTheGracePeriodAndCutAfterIt() throws IOException {
        RateCheckedStream in = stream(10_000);
        byte[] buf = new byte[100];
        in.read(buf, 0, 100);            // first byte at t = 0
        now = 5 * SECOND;                // 200 bytes in 5 s: 40 B/s, but the grace period is 5 s
        assertThat(in.read(buf, 0, 100)).isEqualTo(100);
        assertThat(failed).isFalse();
        now = 5 * SECOND + 1;
        assertThatThrownBy(() -> in.read(buf, 0, 100)).isInstanceOf(UploadTooSlowException.class)
                .hasMessageContaining("minimum of 16384");
        assertThat(failed).as("the request is marked as a failed upload").isTrue();
    }

    @Test
    void aBodyAtTheRateIsNeverCut() throws IOException {
        RateCheckedStream in = stream(1_000_000);
        byte[] buf = new byte[16_384];
        in.read(buf, 0, 1);
        for (int s = 1; s <= 20; s++) {  // 16 KiB more each second: just above the minimum on average
            now = s * SECOND;
            assertThat(in.read(buf, 0, buf.length)).isEqualTo(buf.length);
        }
        assertThat(failed).isFalse();
    }

    @Test
    void theClockStartsAtTheFirstByteNotWhenTheStreamIsOpened() throws IOException {
        RateCheckedStream in = stream(100_000);
        now = 60 * SECOND;               // a late first byte is the read timeout's business
        byte[] buf = new byte[16_384];
        assertThat(in.read(buf, 0, buf.length)).isEqualTo(buf.length);
        now = 62 * SECOND;
        assertThat(in.read(buf, 0, buf.length)).isEqualTo(buf.length);
        assertThat(failed).isFalse();
    }

    private RateCheckedStream stream(int size) {
        ByteArrayInputStream body = new ByteArrayInputStream(new byte[size]);
        ServletInputStream raw = new ServletInputStream() {
            @Override
            public int read() {
                return body.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return body.read(b, off, len);
            }

            @Override
            public boolean isFinished() {
                return body.available() == 0;
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setReadListener(ReadListener listener) {
                throw new UnsupportedOperationException();
            }
        };
        return new RateCheckedStream(raw, 16_384, 5 * SECOND, () -> now, () -> failed.set(true));
    }
}
