package org.visionserve.service.action;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class FrameSamplingTest {

    @Test
    void tenSecondsAt25FpsSamplesEveryNinthFrame() {
        // 251 RGB frames, N = 250 flow fields: available 241, interval 9, f_i = 5 + 9 (i - 1) (1-based)
        FrameSampling s = FrameSampling.of(251);
        assertEquals(9, s.interval());
        assertArrayEquals(IntStream.range(0, 25).map(i -> 4 + 9 * i).toArray(), s.rgbFrames());
        assertArrayEquals(IntStream.range(0, 25).map(i -> 9 * i).toArray(), s.flowStarts());
        // stacks 9 apart overlap by one field: 25 * 10 - 24 distinct pairs, the last ending at pair 225
        int[] pairs = s.pairs();
        assertEquals(226, pairs.length);
        assertEquals(0, pairs[0]);
        assertEquals(225, pairs[pairs.length - 1]);
        assertEquals(9, FrameSampling.of(250).interval()); // N = 249: floor(240 / 25) = 9
    }

    @Test
    void shortClipsRepeatTheirLastPoint() {
        // 20 frames, N = 19: interval 1, f_i = min(i + 4, 14)
        FrameSampling s = FrameSampling.of(20);
        assertEquals(1, s.interval());
        int[] expected = {4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13};
        assertArrayEquals(expected, s.rgbFrames());
        assertArrayEquals(IntStream.range(0, 19).toArray(), s.pairs()); // every pair, each once

        // the minimum, 11 frames (N = 10): all 25 points on frame 5 (1-based), one stack of all ten fields
        FrameSampling min = FrameSampling.of(FrameSampling.MIN_FRAMES);
        assertTrue(IntStream.of(min.rgbFrames()).allMatch(f -> f == 4));
        assertArrayEquals(IntStream.range(0, 10).toArray(), min.pairs());
    }

    @Test
    void intervalGrowsWithLength() {
        // 76 frames, N = 75: available 66, interval 2, f_i = 5 + 2 (i - 1) <= 53 < N - 5
        FrameSampling s = FrameSampling.of(76);
        assertEquals(2, s.interval());
        assertEquals(4, s.rgbFrames()[0]);
        assertEquals(52, s.rgbFrames()[24]);
        assertEquals(58, s.pairs().length); // fields 0..57, stacks overlapping by 8
    }

    @Test
    void everyStackStaysInsideTheClip() {
        for (int frames = FrameSampling.MIN_FRAMES; frames <= 3000; frames++) {
            FrameSampling s = FrameSampling.of(frames);
            for (int i = 0; i < FrameSampling.POINTS; i++) {
                int start = s.flowStarts()[i];
                assertTrue(start >= 0 && start + 9 <= frames - 2, frames + " frames, point " + i);
                assertEquals(start + 4, s.rgbFrames()[i], "the RGB frame is field 5 of the stack's first frames");
                assertTrue(i == 0 || s.rgbFrames()[i] >= s.rgbFrames()[i - 1]);
            }
        }
    }

    @Test
    void refusesClipsShorterThanOneStack() {
        var e = assertThrows(ClipDecodeException.class, () -> FrameSampling.of(10));
        assertEquals(ClipDecodeException.Kind.TOO_SHORT, e.kind());
        assertTrue(e.getMessage().contains("at least 11"), e.getMessage());
    }
}
