package org.visionserve.export;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.visionserve.export.models.IVDNet;

/** IVD-Net reproduces the reference's seeded golden at full size; slice sizes it cannot take are refused. */
class IvdNetGoldenTest {

    @Test
    void reproducesGolden() throws Exception {
        GoldenCheck.verify("ivd_net");
    }

    @Test
    void refusesSliceSizesThatAreNotMultiplesOf32() {
        assertThatThrownBy(() -> IVDNet.fixedSize(250, 256))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiples of 32").hasMessageContaining("250x256");
        assertThatThrownBy(() -> IVDNet.checkSliceSize(256, 240))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256x240");
        IVDNet.checkSliceSize(256, 320);
    }
}
