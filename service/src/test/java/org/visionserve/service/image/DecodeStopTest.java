package org.visionserve.service.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A decode stops part way when its caller says so (its request ended): the stop signal is asked as the
 * reader progresses (per row; the JPEG reader every 5%), and the reader is aborted at the first "stop":
 * it reports no progress after it, where a whole decode reports at least 20 steps.
 */
class DecodeStopTest {

    private static final int SIZE = 1200;
    private final ImageDecoder decoder = new ImageDecoder(new ImageLimits(20_000_000, 40_000_000));

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"png", "jpeg", "bmp", "gif"})
    void aDecodeAskedToStopIsAbortedThere(String format) {
        byte[] image = encoded(format);
        // a whole decode's progress steps: the baseline the stopped decode is compared with
        Polls full = new Polls(Integer.MAX_VALUE);
        RgbImage whole = decoder.decode(image, null, full);
        assertThat(whole.height()).isEqualTo(SIZE);
        assertThat(full.count()).as("progress steps of a whole decode").isGreaterThanOrEqualTo(20);
        assertThat(whole.pixels()).as("the signal changes nothing while it says go on")
                .isEqualTo(decoder.decode(image, null).pixels());

        Polls stopAtFifth = new Polls(5);
        assertThatThrownBy(() -> decoder.decode(image, null, stopAtFifth)).isInstanceOf(DecodeStoppedException.class);
        assertThat(stopAtFifth.count()).as("progress steps: none after the fifth, the reader was aborted there")
                .isEqualTo(5);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"png", "jpeg"})
    void aCallerThatHasStoppedAlreadyDecodesNothing(String format) {
        Polls stopped = new Polls(1);
        assertThatThrownBy(() -> decoder.decode(encoded(format), null, stopped))
                .isInstanceOf(DecodeStoppedException.class);
        assertThat(stopped.count()).isEqualTo(1);
    }

    /** A gradient with some texture, so no format stores it as a few runs. */
    private static byte[] encoded(String format) {
        BufferedImage img = new BufferedImage(SIZE, SIZE, format.equals("gif")
                ? BufferedImage.TYPE_BYTE_INDEXED : BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                img.setRGB(x, y, (x * 255 / SIZE) << 16 | (y * 255 / SIZE) << 8 | ((x * 31 + y * 17) & 0xff));
            }
        }
        return format.equals("jpeg") ? TestImages.jpeg(img, null) : TestImages.encode(img, format);
    }

    /** Says stop from its {@code stopAt}-th question on, and counts the questions. */
    private static final class Polls implements BooleanSupplier {
        private final int stopAt;
        private final AtomicInteger asked = new AtomicInteger();

        Polls(int stopAt) {
            this.stopAt = stopAt;
        }

        @Override
        public boolean getAsBoolean() {
            return asked.incrementAndGet() >= stopAt;
        }

        int count() {
            return asked.get();
        }
    }
}
