package org.visionserve.service.segmentation.nifti;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.visionserve.service.segmentation.Affine;
import org.visionserve.service.segmentation.Volume;
import org.visionserve.service.segmentation.VolumeFormatException.Kind;
import org.visionserve.service.segmentation.VolumeGeometry.AffineSource;
import org.visionserve.service.segmentation.VolumeLimits;

class NiftiReaderTest {

    private final NiftiReader reader = new NiftiReader(VolumeLimits.DEFAULT);

    private static void assertRefused(NiftiReader r, byte[] file, Kind kind, String... fragments) {
        assertThatThrownBy(() -> r.read(file))
                .isInstanceOf(NiftiFormatException.class)
                .satisfies(e -> assertThat(((NiftiFormatException) e).kind()).isEqualTo(kind))
                .message().contains(fragments);
    }

    private void assertRefused(byte[] file, Kind kind, String... fragments) {
        assertRefused(reader, file, kind, fragments);
    }

    @ParameterizedTest(name = "NIfTI-{0} {1} datatype {2}")
    @CsvSource({
        "1, LE, 2", "1, BE, 2", "2, LE, 2", "2, BE, 2",
        "1, LE, 4", "1, BE, 4", "2, LE, 4", "2, BE, 4",
        "1, LE, 512", "1, BE, 512", "2, BE, 512",
        "1, LE, 8", "1, BE, 8", "2, BE, 8",
        "1, LE, 16", "1, BE, 16", "2, LE, 16", "2, BE, 16",
        "1, LE, 64", "1, BE, 64", "2, BE, 64",
        "1, BE, 256", "1, BE, 768", "2, BE, 1024"})
    void readsEveryDatatypeInBothByteOrdersAndVersions(int version, String order, int datatype) throws Exception {
        NiftiBuilder b = version == 1 ? NiftiBuilder.nifti1() : NiftiBuilder.nifti2();
        b.order = order.equals("LE") ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        b.datatype = datatype;
        int n = (int) b.voxels();
        b.values = new double[n];
        boolean signed = datatype != 2 && datatype != 512 && datatype != 768;
        for (int v = 0; v < n; v++) {
            // exercises the sign (or the top bit of unsigned types) and, for floats, fractions
            b.values[v] = switch (datatype) {
                case 2 -> (v * 37) % 256;
                case 256 -> (v % 256) - 128;
                case 512 -> 65535 - v * 300;
                case 768 -> 4_000_000_000L - v * 1000L;
                case 16, 64 -> (v - 60) * 0.25;
                default -> signed ? (v - 60) * 301 : v;
            };
        }
        Volume vol = reader.read(b.build());
        assertThat(vol.geometry().dims()).containsExactly(4, 5, 6);
        for (int v = 0; v < n; v++) {
            assertThat(vol.data()[v]).as("voxel %d", v).isEqualTo((float) b.values[v]);
        }
    }

    @Test
    void appliesSclSlopeAndInterAndTreatsSlopeZeroAsNone() throws Exception {
        NiftiBuilder b = NiftiBuilder.nifti1();
        b.order = ByteOrder.BIG_ENDIAN;
        b.sclSlope = 0.5;
        b.sclInter = -3;
        Volume scaled = reader.read(b.build());
        assertThat(scaled.data()[0]).isEqualTo(-3f);
        assertThat(scaled.data()[7]).isEqualTo(0.5f);
        b.sclSlope = 0;
        Volume unscaled = reader.read(b.build());
        assertThat(unscaled.data()[7]).isEqualTo(7f);
    }

    @Test
    void detectsGzipByContentNotName() throws Exception {
        byte[] raw = NiftiBuilder.nifti2().build();
        Volume plain = reader.read(raw);
        Volume gz = reader.read(NiftiBuilder.gzip(raw));
        assertThat(gz.data()).containsExactly(plain.data());
        assertThat(gz.geometry().affine()).isEqualTo(plain.geometry().affine());
    }

    @Test
    void skipsExtensionsUpToVoxOffset() throws Exception {
        NiftiBuilder b = NiftiBuilder.nifti1();
        b.extension = new byte[32];
        Volume vol = reader.read(b.build());
        assertThat(vol.data()[5]).isEqualTo(5f);
    }

    @Test
    void acceptsTrailingUnitDimensions() throws Exception {
        NiftiBuilder b = NiftiBuilder.nifti1();
        b.dim = new long[] {5, 4, 5, 6, 1, 1, 9, 9}; // dims past dim[0] are ignored
        assertThat(reader.read(b.build()).geometry().rank()).isEqualTo(5);
    }

    @Test
    void readsTwoDimensionalImagesAsOneSlice() throws Exception {
        NiftiBuilder b = NiftiBuilder.nifti1();
        b.dim = new long[] {2, 4, 5, 0, 0, 0, 0, 0};
        b.pixdim = new double[] {1, 0.5, 0.5, 0, 0, 0, 0, 0};
        Volume vol = reader.read(b.build());
        assertThat(vol.geometry().dims()).containsExactly(4, 5, 1);
        assertThat(vol.geometry().affine().get(2, 2)).isEqualTo(1.0);
    }

    @Test
    void refusesWhatIsNotNifti() {
        assertRefused("hello, world, this is text".getBytes(), Kind.NOT_RECOGNISED, "not a NIfTI file", "348", "540");
        assertRefused(new byte[] {1, 2}, Kind.NOT_RECOGNISED, "only 2 bytes");
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
        assertRefused(png, Kind.NOT_RECOGNISED, "not a NIfTI file");
        assertRefused(NiftiBuilder.gzip("not nifti at all, but gzipped".getBytes()), Kind.NOT_RECOGNISED,
                "after gzip decompression");
        NiftiBuilder analyze = NiftiBuilder.nifti1();
        analyze.magic = "\0\0\0\0";
        assertRefused(analyze.build(), Kind.NOT_RECOGNISED, "magic", "Analyze");
        NiftiBuilder pair = NiftiBuilder.nifti1();
        pair.magic = "ni1\0";
        assertRefused(pair.build(), Kind.UNSUPPORTED, ".hdr/.img pair");
        byte[] cut = Arrays.copyOf(NiftiBuilder.nifti2().build(), 300);
        assertRefused(cut, Kind.SIZE_MISMATCH, "inside the 540-byte NIfTI-2 header");
    }

    @Test
    void validatesDims() {
        NiftiBuilder b = NiftiBuilder.nifti1();
        b.dim = new long[] {1, 10, 1, 1, 1, 1, 1, 1};
        assertRefused(b.build(), Kind.INVALID_HEADER, "dim[0] is 1");
        b.dim = new long[] {8, 4, 5, 6, 1, 1, 1, 1};
        assertRefused(b.build(), Kind.INVALID_HEADER, "dim[0] is 8");
        b.dim = new long[] {3, 4, 0, 6, 1, 1, 1, 1};
        assertRefused(b.build(), Kind.INVALID_HEADER, "dim[2] is 0");
        b.dim = new long[] {3, 4, -5, 6, 1, 1, 1, 1};
        assertRefused(b.build(), Kind.INVALID_HEADER, "dim[2] is -5");
        b.dim = new long[] {4, 4, 5, 6, 3, 1, 1, 1};
        assertRefused(b.build(), Kind.UNSUPPORTED, "dim[4] is 3", "one 3-D volume");
    }

    @Test
    void refusesUnsupportedDatatypesByName() {
        NiftiBuilder b = NiftiBuilder.nifti1();
        b.datatype = 128;
        assertRefused(b.build(), Kind.UNSUPPORTED, "datatype 128 (RGB24)", "uint8", "int16", "float32");
        b.datatype = 32;
        assertRefused(b.build(), Kind.UNSUPPORTED, "COMPLEX64");
        b.datatype = 3;
        assertRefused(b.build(), Kind.UNSUPPORTED, "datatype 3 (not a NIfTI datatype code)");
    }

    @Test
    void validatesPixdim() {
        NiftiBuilder b = NiftiBuilder.nifti1();
        b.pixdim = new double[] {1, 2, 0, 1.25, 0, 0, 0, 0};
        assertRefused(b.build(), Kind.INVALID_HEADER, "pixdim[2] is 0.0", "positive");
        b.pixdim = new double[] {1, 2, 1.25, -1.25, 0, 0, 0, 0};
        assertRefused(b.build(), Kind.INVALID_HEADER, "pixdim[3] is -1.25");
        b.pixdim = new double[] {1, Double.NaN, 1.25, 1.25, 0, 0, 0, 0};
        b.version = 2;
        assertRefused(b.build(), Kind.INVALID_HEADER, "pixdim[1] is NaN");
    }

    @Test
    void validatesVoxOffset() {
        NiftiBuilder b = NiftiBuilder.nifti1();
        b.voxOffset = 100L;
        assertRefused(b.build(), Kind.INVALID_HEADER, "vox_offset is 100.0", "at least 348");
        NiftiBuilder far = NiftiBuilder.nifti1();
        far.voxOffset = 5000L;
        byte[] file = Arrays.copyOf(far.build(), 1000);
        assertRefused(file, Kind.SIZE_MISMATCH, "vox_offset 5000 is beyond the end of the file (1000 bytes)");
    }

    @Test
    void refusesDataThatDoesNotMatchTheHeaderSizes() {
        NiftiBuilder b = NiftiBuilder.nifti1();
        b.dim = new long[] {3, 36, 256, 256, 1, 1, 1, 1};
        b.values = new double[36 * 256 * 256];
        b.truncate = 36 * 256 * 256 * 2 - 1000;
        assertRefused(b.build(), Kind.SIZE_MISMATCH, "header says 36x256x256 int16 = 4718592 bytes from vox_offset 352, file has 1000");
        NiftiBuilder extra = NiftiBuilder.nifti2();
        extra.trailing = 24;
        assertRefused(extra.build(), Kind.SIZE_MISMATCH, "header says 4x5x6 int16 = 240 bytes from vox_offset 544, file has 264");
        assertRefused(NiftiBuilder.gzip(extra.build()), Kind.SIZE_MISMATCH, "file has 264 (decompressed)");
    }

    @Test
    void detectsTruncatedAndCorruptGzip() {
        NiftiBuilder b = NiftiBuilder.nifti1();
        b.dim = new long[] {3, 36, 64, 64, 1, 1, 1, 1};
        b.values = new double[36 * 64 * 64];
        for (int v = 0; v < b.values.length; v++) {
            b.values[v] = (v * 7919) % 3000; // not too compressible
        }
        byte[] gz = NiftiBuilder.gzip(b.build());
        assertRefused(Arrays.copyOf(gz, gz.length / 2), Kind.TRUNCATED, "gzip stream is truncated");
        // cut inside the 8-byte trailer: all voxel bytes are there, the CRC and length are not
        assertRefused(Arrays.copyOf(gz, gz.length - 3), Kind.TRUNCATED, "gzip");
        byte[] corrupt = gz.clone();
        for (int i = 100; i < 140; i++) {
            corrupt[i] ^= 0x5a;
        }
        assertRefused(corrupt, Kind.TRUNCATED, "gzip stream is");
        assertRefused(Arrays.copyOf(gz, 5), Kind.TRUNCATED, "gzip stream is truncated");
    }

    @Test
    void checksLimitsFromTheHeaderBeforeAllocating() {
        NiftiBuilder b = NiftiBuilder.nifti1();
        b.dim = new long[] {3, 32767, 32767, 32767, 1, 1, 1, 1}; // 3.5e13 voxels; allocating would fail
        b.truncate = Integer.MAX_VALUE;
        b.values = new double[0];
        b.dim[0] = 3;
        byte[] header = Arrays.copyOf(headerOnly(b), 352);
        assertRefused(header, Kind.TOO_LARGE, "header says 32767x32767x32767 int16", "voxels, over the limit",
                VolumeLimits.MAX_VOXELS_KEY);
        NiftiReader small = new NiftiReader(new VolumeLimits(1_000_000, 10_000_000));
        NiftiBuilder c = NiftiBuilder.nifti2();
        c.dim = new long[] {3, 36, 256, 256, 1, 1, 1, 1};
        c.values = new double[36 * 256 * 256];
        assertRefused(small, c.build(), Kind.TOO_LARGE, "header says 36x256x256 int16 from vox_offset 544: 4719136 bytes",
                VolumeLimits.MAX_BYTES_KEY);
    }

    /** A header claiming a huge volume, without its data. */
    private static byte[] headerOnly(NiftiBuilder b) {
        long[] dims = b.dim.clone();
        b.dim = new long[] {3, 1, 1, 1, 1, 1, 1, 1};
        b.values = new double[1];
        b.truncate = 0;
        byte[] file = b.build();
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(file).order(b.order);
        for (int i = 0; i < 8; i++) {
            buf.putShort(40 + 2 * i, (short) dims[i]);
        }
        return file;
    }

    @Test
    void stopsAGzipBombAtTheByteLimit() throws IOException {
        NiftiBuilder b = NiftiBuilder.nifti1();
        b.datatype = 2;
        byte[] header = b.build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(header);
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 200; i++) {
                z.write(zeros); // 200 MiB of zeros after a 120-voxel volume
            }
        }
        NiftiReader limited = new NiftiReader(new VolumeLimits(8 << 20, 1 << 20));
        assertRefused(limited, out.toByteArray(), Kind.SIZE_MISMATCH, "header says 4x5x6 uint8 = 120 bytes",
                "file has more than");
        // The bytes it reports having read show where it stopped: at about the 8 MiB limit, not at the
        // 200 MiB the stream inflates to. (The work follows the bytes read: no wall-clock bound, which flakes.)
        String message = catchThrowable(() -> limited.read(out.toByteArray())).getMessage();
        Matcher counted = Pattern.compile("file has more than (\\d+)").matcher(message);
        assertThat(counted.find()).as(message).isTrue();
        assertThat(Long.parseLong(counted.group(1))).as("bytes read").isGreaterThan((8L << 20) - 1024)
                .isLessThanOrEqualTo((8L << 20) + (1 << 20));
    }

    @Test
    void affineFromSformWhenItsCodeIsPositive() throws Exception {
        NiftiBuilder b = NiftiBuilder.nifti2();
        b.sformCode = 1;
        b.qformCode = 1;
        b.quatern = new double[] {0, 0, 1, 5, 6, 7}; // would give a different matrix
        b.srow = new double[] {0.1, 1.9, 0.2, -30.5, -1.2, 0.3, 1.1, 12.25, 0.05, 0.1, -1.2, 99.125};
        Volume vol = reader.read(b.build());
        assertThat(vol.geometry().affineSource()).isEqualTo(AffineSource.SFORM);
        double[][] m = vol.geometry().affine().toMatrix();
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                assertThat(m[r][c]).isEqualTo(b.srow[r * 4 + c]); // NIfTI-2 doubles: exact
            }
        }
        assertThat(m[3]).containsExactly(0, 0, 0, 1);
    }

    @Test
    void affineFromQuaternionAsTheStandardWithQfac() throws Exception {
        // rotation by theta about z: a = cos(theta/2), d = sin(theta/2); qfac -1 flips the third column
        double theta = Math.toRadians(30);
        NiftiBuilder b = NiftiBuilder.nifti2();
        b.qformCode = 2;
        b.quatern = new double[] {0, 0, Math.sin(theta / 2), -10, 20, 30};
        b.pixdim = new double[] {-1, 2.0, 1.25, 1.5, 0, 0, 0, 0};
        Affine a = reader.read(b.build()).geometry().affine();
        double c = Math.cos(theta);
        double s = Math.sin(theta);
        double[][] expected = {{c * 2.0, -s * 1.25, 0, -10}, {s * 2.0, c * 1.25, 0, 20}, {0, 0, -1.5, 30}, {0, 0, 0, 1}};
        double[][] m = a.toMatrix();
        for (int r = 0; r < 4; r++) {
            for (int k = 0; k < 4; k++) {
                assertThat(m[r][k]).as("m[%d][%d]", r, k).isCloseTo(expected[r][k], within(1e-12));
            }
        }
        // b = 1: a 180-degree rotation about x (a = 0)
        b.quatern = new double[] {1, 0, 0, 0, 0, 0};
        b.pixdim[0] = 1;
        double[][] flip = reader.read(b.build()).geometry().affine().toMatrix();
        assertThat(new double[] {flip[0][0], flip[1][1], flip[2][2]}).containsExactly(2.0, -1.25, -1.5);
    }

    @Test
    void affineFromPixdimWhenNeitherCodeIsSet() throws Exception {
        NiftiBuilder b = NiftiBuilder.nifti1();
        Volume vol = reader.read(b.build());
        assertThat(vol.geometry().affineSource()).isEqualTo(AffineSource.PIXDIM);
        assertThat(vol.geometry().affine()).isEqualTo(Affine.scaling(2.0, 1.25, 1.25));
    }

    @Test
    void refusesASingularSform() {
        NiftiBuilder b = NiftiBuilder.nifti1();
        b.sformCode = 1;
        b.srow = new double[12];
        assertRefused(b.build(), Kind.INVALID_HEADER, "sform affine is singular");
    }
}
