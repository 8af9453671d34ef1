package org.visionserve.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.visionserve.service.segmentation.VolumeFormatException.Kind;

class PngSlicesTest {

    static byte[] png(BufferedImage img) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    static byte[] grey(int w, int h, boolean sixteen, int seed) throws Exception {
        BufferedImage img = new BufferedImage(w, h, sixteen ? BufferedImage.TYPE_USHORT_GRAY : BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, sample(x, y, sixteen, seed));
            }
        }
        return png(img);
    }

    static int sample(int x, int y, boolean sixteen, int seed) {
        return (x * 31 + y * 7 + seed * 13) % (sixteen ? 65536 : 256);
    }

    @Test
    void readsEightAndSixteenBitGreyAsOneSliceWithRawSamples() throws Exception {
        for (boolean sixteen : new boolean[] {false, true}) {
            Volume v = PngSlices.read(grey(40, 24, sixteen, 3), VolumeLimits.DEFAULT);
            assertThat(v.geometry().dims()).containsExactly(1, 24, 40);
            assertThat(v.fullScale()).isEqualTo(sixteen ? 65535 : 255);
            for (int r = 0; r < 24; r++) {
                for (int c = 0; c < 40; c++) {
                    assertThat(v.get(0, r, c)).isEqualTo(sample(c, r, sixteen, 3));
                }
            }
            // seen as a sagittal slice: rows go inferior, columns posterior
            assertThat(SlicePlan.sagittalAxis(v.geometry())).isZero();
            assertThat(v.geometry().affine().direction(1, 2)).isEqualTo(-1.0);
            assertThat(v.geometry().affine().direction(2, 1)).isEqualTo(-1.0);
        }
    }

    @Test
    void slicesOverThePixelLimitAreRefusedFromTheHeader() throws Exception {
        VolumeLimits limits = new VolumeLimits(1 << 20, 300_000, 65_536);
        // 256x256 is the limit exactly; 8 x 30000 passes the voxel limit but runs as 32 x 30016
        assertThat(PngSlices.read(org.visionserve.service.HostilePngs.flatGrey(256, 256, 9), limits).geometry().dims())
                .containsExactly(1, 256, 256);
        for (int[] wh : new int[][] {{257, 256}, {8, 30_000}, {30_000, 8}}) {
            // header only: decoding would fail as truncated, so the refusal comes before it
            assertThatThrownBy(() -> PngSlices.read(org.visionserve.service.HostilePngs.headerOnly(wh[0], wh[1]), limits))
                    .isInstanceOf(VolumeFormatException.class)
                    .satisfies(e -> assertThat(((VolumeFormatException) e).kind()).isEqualTo(Kind.TOO_LARGE))
                    .hasMessageContaining("visionserve.limits.max-slice-pixels");
        }
    }

    @Test
    void refusesColourPaletteAndNonPng() throws Exception {
        assertThatThrownBy(() -> PngSlices.read(png(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB)), VolumeLimits.DEFAULT))
                .isInstanceOf(VolumeFormatException.class).hasMessageContaining("3-channel at 8 bits")
                .hasMessageContaining("8- or 16-bit grey-scale");
        BufferedImage indexed = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 2, new byte[] {0, -1}, new byte[] {0, 0}, new byte[] {0, 0}));
        assertThatThrownBy(() -> PngSlices.read(png(indexed), VolumeLimits.DEFAULT)).hasMessageContaining("palette");
        assertThatThrownBy(() -> PngSlices.read(png(new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_BINARY)),
                VolumeLimits.DEFAULT)).isInstanceOf(VolumeFormatException.class);
        assertThatThrownBy(() -> PngSlices.read("GIF89a....".getBytes(), VolumeLimits.DEFAULT))
                .isInstanceOf(VolumeFormatException.class).hasMessageContaining("not a PNG")
                .satisfies(e -> assertThat(((VolumeFormatException) e).kind()).isEqualTo(Kind.NOT_RECOGNISED));
        byte[] good = grey(16, 16, false, 0);
        byte[] cut = java.util.Arrays.copyOf(good, good.length - 30);
        assertThatThrownBy(() -> PngSlices.read(cut, VolumeLimits.DEFAULT)).isInstanceOf(VolumeFormatException.class);
    }

    @Test
    void checksTheSizeFromTheHeaderBeforeDecoding() throws Exception {
        // a PNG whose IHDR claims 60000 x 60000 pixels (3.6 G), followed by nothing useful
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(60000).putInt(60000).put((byte) 8).put((byte) 0)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        out.write(ByteBuffer.allocate(4).putInt(13).array());
        byte[] typeAndData = ByteBuffer.allocate(17).put("IHDR".getBytes()).put(ihdr.array()).array();
        out.write(typeAndData);
        CRC32 crc = new CRC32();
        crc.update(typeAndData);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        assertThatThrownBy(() -> PngSlices.read(out.toByteArray(), VolumeLimits.DEFAULT))
                .isInstanceOf(VolumeFormatException.class).hasMessageContaining("PNG of 60000x60000 pixels")
                .hasMessageContaining(VolumeLimits.MAX_VOXELS_KEY)
                .satisfies(e -> assertThat(((VolumeFormatException) e).kind()).isEqualTo(Kind.TOO_LARGE));
    }

    @Test
    void fourPngsMakeAOneSliceMultiModalVolume() throws Exception {
        Volume[] v = new Volume[4];
        for (int m = 0; m < 4; m++) {
            v[m] = PngSlices.read(grey(64, 32, m == 2, m), VolumeLimits.DEFAULT);
        }
        MultiModalVolume mm = MultiModalVolume.of(v[0], v[1], v[2], v[3]);
        SlicePlan plan = SlicePlan.of(mm.geometry(), 0, 0);
        assertThat(plan.slices()).isEqualTo(1);
        assertThat(plan.rows()).isEqualTo(32);
        assertThat(plan.cols()).isEqualTo(64);
        // different picture sizes do not mix
        Volume other = PngSlices.read(grey(64, 33, false, 0), VolumeLimits.DEFAULT);
        assertThatThrownBy(() -> MultiModalVolume.of(v[0], v[1], other, v[3])).isInstanceOf(ModalityMismatchException.class)
                .hasMessageContaining("opp (opposed-phase) has shape 1x33x64");
    }

    @Test
    void aOneSliceMaskWritesBackAsAPngOfTheInputsLayout() throws Exception {
        Volume v = PngSlices.read(grey(48, 20, true, 1), VolumeLimits.DEFAULT);
        byte[] mask = new byte[v.data().length];
        for (int r = 0; r < 20; r++) {
            for (int c = 0; c < 48; c++) {
                mask[r + 20 * c] = (byte) ((r * c) % 7 == 0 ? 1 : 0);
            }
        }
        BufferedImage img = ImageIO.read(new java.io.ByteArrayInputStream(PngSlices.writeMask(v.geometry(), mask)));
        assertThat(img.getWidth()).isEqualTo(48);
        assertThat(img.getHeight()).isEqualTo(20);
        for (int r = 0; r < 20; r++) {
            for (int c = 0; c < 48; c++) {
                assertThat(img.getRaster().getSample(c, r, 0)).isEqualTo(mask[r + 20 * c] != 0 ? 255 : 0);
            }
        }
    }
}
