package org.visionserve.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.visionserve.service.pipeline.Stage;
import org.visionserve.service.pipeline.StageTimer;
import org.visionserve.service.segmentation.nifti.NiftiDatatype;
import org.visionserve.service.segmentation.nifti.NiftiReader;
import org.visionserve.service.segmentation.nifti.NiftiWriter;

/**
 * The whole non-web pipeline on an IVDM3Seg-sized synthetic examination (36 x 256 x 256, four int16
 * modalities, two gzipped), with a real ONNX Runtime model that thresholds the water channel: the mask
 * must come back exactly, the seven discs be found and labelled, the mask NIfTI keep the geometry and
 * the preview show the discs in colour. Prints the time of each stage.
 */
class VolumePipelineTest {

    @Test
    void segmentsASyntheticExaminationEndToEndOnOnnxRuntime() throws Exception {
        SyntheticSpine spine = new SyntheticSpine();
        byte[] truth = spine.mask();
        Map<Modality, byte[]> files = new EnumMap<>(Modality.class);
        for (Modality m : Modality.values()) {
            boolean gzip = m == Modality.FAT || m == Modality.INN;
            files.put(m, NiftiWriter.write(spine.geometry, spine.modality(m, truth), NiftiDatatype.INT16, gzip));
        }

        try (TinyOnnxModel model = new TinyOnnxModel(256, 256)) {
            for (String run : new String[] {"cold", "warm"}) {
                runPipeline(run, spine, truth, files, model);
            }
        }
    }

    private static void runPipeline(String run, SyntheticSpine spine, byte[] truth, Map<Modality, byte[]> files,
                                    TinyOnnxModel model) throws Exception {
        NiftiReader reader = new NiftiReader(VolumeLimits.DEFAULT);
        long t0 = System.nanoTime();
        Map<Modality, Volume> volumes = new EnumMap<>(Modality.class);
        for (Modality m : Modality.values()) {
            volumes.put(m, reader.read(new ByteArrayInputStream(files.get(m))));
        }
        MultiModalVolume exam = MultiModalVolume.of(volumes);
        long t1 = System.nanoTime();

        StageTimer timer = new StageTimer();
        VolumeSegmenter.Result seg = new VolumeSegmenter(256, 256, 4).segment(exam, model, () -> { }, timer);
        long t2 = System.nanoTime();
        assertSameMask(seg.mask().mask(), truth);
        assertThat(seg.batches()).isEqualTo(9);

        DiscAnalysis analysis = new DiscLocaliser(100).locate(exam.geometry(), seg.mask().mask(), seg.mask().probability());
        long t3 = System.nanoTime();
        List<Disc> discs = analysis.discs();
        assertThat(discs).extracting(Disc::label)
                .containsExactly("T11-T12", "T12-L1", "L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1");
        for (Disc d : discs) {
            assertThat(d.volumeMm3()).isCloseTo(SyntheticSpine.discVolume(), within(0.02 * SyntheticSpine.discVolume()));
            assertThat(d.meanProbability()).isGreaterThan(0.5).isLessThanOrEqualTo(1.0);
            double[] c = spine.centreVoxel(d.position() - 1);
            for (int a = 0; a < 3; a++) {
                assertThat(d.centroidVoxel()[a]).isCloseTo(c[a], within(0.5));
            }
        }

        PreviewRenderer.Preview preview = PreviewRenderer.midSagittal(exam.get(Modality.WAT), analysis);
        long t4 = System.nanoTime();
        byte[] maskNifti = NiftiWriter.writeMask(exam.geometry(), seg.mask().mask(), true);
        long t5 = System.nanoTime();

        System.out.printf("%s run, 36x256x256 x4 int16 (2 of 4 gzipped):%n"
                        + "  read + check 4 modalities %.0f ms%n  normalise/batch %.0f ms, inference and the rest (1x1-conv ORT model, 9 batches of 4) %.0f ms, "
                        + "argmax+softmax %.0f ms (segment total %.0f ms)%n  components %.0f ms%n  preview %.0f ms%n"
                        + "  mask .nii.gz %.0f ms (%d bytes)%n",
                run, (t1 - t0) / 1e6, timer.nanos(Stage.PREPROCESS) / 1e6,
                (t2 - t1 - timer.nanos(Stage.PREPROCESS) - timer.nanos(Stage.POSTPROCESS)) / 1e6,
                timer.nanos(Stage.POSTPROCESS) / 1e6,
                (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t4 - t3) / 1e6, (t5 - t4) / 1e6, maskNifti.length);

        Volume back = reader.read(maskNifti);
        assertThat(back.geometry().maxCornerDistance(exam.geometry())).isLessThan(1e-3);
        assertThat(back.geometry().dims()).containsExactly(36, 256, 256);
        for (int v = 0; v < truth.length; v++) {
            if (back.data()[v] != truth[v]) {
                throw new AssertionError("mask voxel " + v + " changed in the NIfTI round trip");
            }
        }

        // the preview: slice 17 of the left-right axis 0; superior up (axis 2 runs inferior: no flip),
        // anterior left (axis 1 runs anterior: flipped), 1.25 mm square pixels
        assertThat(preview.sliceAxis()).isZero();
        assertThat(preview.sliceIndex()).isEqualTo(17);
        assertThat(preview.rowAxis()).isEqualTo(2);
        assertThat(preview.colAxis()).isEqualTo(1);
        assertThat(preview.flipRows()).isFalse();
        assertThat(preview.flipCols()).isTrue();
        Path out = Path.of("target", "segmentation-preview.png");
        Files.write(out, preview.png());
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(preview.png()));
        assertThat(img.getWidth()).isEqualTo(256);
        assertThat(img.getHeight()).isEqualTo(256);
        int coloured = 0;
        int[] discColourCount = new int[8];
        for (int y = 0; y < 256; y++) {
            for (int x = 0; x < 256; x++) {
                int rgb = img.getRGB(x, y);
                int r = rgb >> 16 & 0xff;
                int g = rgb >> 8 & 0xff;
                int b = rgb & 0xff;
                int label = analysis.labels()[17 + 36 * ((255 - x) + 256 * y)];
                boolean grey = r == g && g == b;
                assertThat(grey).as("pixel (%d, %d), label %d", x, y, label).isEqualTo(label == 0);
                if (label > 0) {
                    coloured++;
                    discColourCount[label]++;
                }
            }
        }
        assertThat(coloured).isGreaterThan(7 * 100);
        for (int d = 1; d <= 7; d++) {
            assertThat(discColourCount[d]).as("disc %d visible in the mid-sagittal slice", d).isPositive();
        }
    }

    /** Compares masks by counts and the first difference (an assertion on the arrays prints 2.4M values). */
    static void assertSameMask(byte[] got, byte[] expected) {
        assertThat(got.length).isEqualTo(expected.length);
        long extra = 0;
        long missing = 0;
        int first = -1;
        for (int v = 0; v < got.length; v++) {
            if (got[v] != expected[v]) {
                extra += got[v] != 0 ? 1 : 0;
                missing += got[v] == 0 ? 1 : 0;
                first = first < 0 ? v : first;
            }
        }
        assertThat(extra + missing).as("%d extra and %d missing voxels, first at %d", extra, missing, first).isZero();
    }

    @Test
    void previewOfAPngSliceShowsItAsGiven() throws Exception {
        Volume[] v = new Volume[4];
        for (int m = 0; m < 4; m++) {
            v[m] = PngSlices.read(PngSlicesTest.grey(64, 32, false, m), VolumeLimits.DEFAULT);
        }
        MultiModalVolume exam = MultiModalVolume.of(v[0], v[1], v[2], v[3]);
        byte[] mask = new byte[32 * 64];
        for (int r = 10; r < 14; r++) {
            for (int c = 20; c < 40; c++) {
                mask[r + 32 * c] = 1;
            }
        }
        DiscAnalysis a = new DiscLocaliser(0).locate(exam.geometry(), mask, null);
        assertThat(a.discs()).hasSize(1);
        PreviewRenderer.Preview p = PreviewRenderer.midSagittal(exam.get(Modality.WAT), a);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(p.png()));
        assertThat(img.getWidth()).isEqualTo(64);
        assertThat(img.getHeight()).isEqualTo(32);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 64; x++) {
                int rgb = img.getRGB(x, y);
                boolean grey = (rgb >> 16 & 0xff) == (rgb >> 8 & 0xff) && (rgb >> 8 & 0xff) == (rgb & 0xff);
                assertThat(grey).as("(%d, %d)", x, y).isEqualTo(mask[y + 32 * x] == 0);
            }
        }
    }
}
