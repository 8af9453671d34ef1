package org.visionserve.service.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.visionserve.service.pipeline.InvalidParameterException;

/** The windows of a timeline: edges at frame times, the short tail merged, the limits. */
class TimelineTest {

    private static final Timeline.Limits LIMITS = new Timeline.Limits(Duration.ofSeconds(60), 10, 2);

    @Test
    void windowsStartAtTheFirstFrameOfTheirTime() {
        // 29.97 fps: windows of 10 s start at frames 0, 300 (299.7 rounded up), 600 (599.4)
        Timeline t = Timeline.of(700, 30000 / 1001.0, 10, LIMITS);
        assertThat(t.windows()).containsExactly(new Timeline.Window(0, 300), new Timeline.Window(300, 600),
                new Timeline.Window(600, 700));
        assertThat(Timeline.of(750, 25, 10, LIMITS).windows()).containsExactly(new Timeline.Window(0, 250),
                new Timeline.Window(250, 500), new Timeline.Window(500, 750));
    }

    @Test
    void aTailShorterThanOneStackJoinsTheWindowBefore() {
        // 25 fps, 4 s windows: 100 frames each; 210 frames leave a tail of 10 (< 11), merged
        assertThat(Timeline.of(210, 25, 4, LIMITS).windows()).containsExactly(new Timeline.Window(0, 100),
                new Timeline.Window(100, 210));
        // a tail of 11 frames is a window of its own
        assertThat(Timeline.of(211, 25, 4, LIMITS).windows()).containsExactly(new Timeline.Window(0, 100),
                new Timeline.Window(100, 200), new Timeline.Window(200, 211));
        // a video within one window is one window
        assertThat(Timeline.of(40, 25, 4, LIMITS).windows()).containsExactly(new Timeline.Window(0, 40));
    }

    @Test
    void windowSamplingIsTheWindowsOwnShifted() {
        Timeline.Window w = new Timeline.Window(100, 150);
        FrameSampling alone = FrameSampling.of(50);
        FrameSampling s = w.sampling();
        for (int i = 0; i < FrameSampling.POINTS; i++) {
            assertThat(s.rgbFrames()[i]).isEqualTo(alone.rgbFrames()[i] + 100);
            assertThat(s.flowStarts()[i]).isEqualTo(alone.flowStarts()[i] + 100);
        }
        assertThat(java.util.stream.IntStream.of(s.pairs()).allMatch(p -> p >= 100 && p <= 148)).isTrue();
    }

    @Test
    void limits() {
        assertThatThrownBy(() -> Timeline.of(100, 5, 2, LIMITS)).isInstanceOf(InvalidParameterException.class)
                .hasMessageContaining("windows of 10 frames");
        assertThatThrownBy(() -> Timeline.of(1000, 25, 2, LIMITS)).isInstanceOf(ClipDecodeException.class)
                .satisfies(e -> assertThat(((ClipDecodeException) e).bound()).isEqualTo(ClipLimits.Bound.TIMELINE_WINDOWS));
        assertThatThrownBy(() -> Timeline.of(1550, 25, 10, LIMITS)).isInstanceOf(ClipDecodeException.class)
                .satisfies(e -> assertThat(((ClipDecodeException) e).bound()).isEqualTo(ClipLimits.Bound.TIMELINE_DURATION));
        assertThatThrownBy(() -> Timeline.of(100, 0, 10, LIMITS)).isInstanceOf(InvalidParameterException.class);
        assertThat(Timeline.parse(" 2.5", LIMITS, "key")).isEqualTo(2.5);
        for (String bad : new String[] {"1.9", "x", "NaN", "-3", "Infinity"}) {
            assertThatThrownBy(() -> Timeline.parse(bad, LIMITS, "key")).as(bad)
                    .isInstanceOf(InvalidParameterException.class);
        }
    }
}
