package org.visionserve.service.segmentation.nifti;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.visionserve.service.segmentation.Volume;
import org.visionserve.service.segmentation.VolumeFormatException;
import org.visionserve.service.segmentation.VolumeFormatException.Kind;
import org.visionserve.service.segmentation.VolumeGeometry;
import org.visionserve.service.segmentation.VolumeLimits;

/**
 * Reads a single-file NIfTI-1 or NIfTI-2 volume ({@code .nii}), optionally gzip-compressed, into a
 * {@link Volume}. Format, compression and byte order come from the content (gzip magic 1f 8b; sizeof_hdr
 * 348 or 540 in either byte order), never from a file name.
 *
 * <p>The file is streamed: the header is validated and checked against the {@link VolumeLimits} before the
 * one float array of the volume is allocated, then exactly the header's number of data bytes is converted
 * into it, and whatever follows is counted (up to the byte limit, so a gzip bomb stops there) to refuse a
 * file whose size does not match its header. Voxels become float32 with scl_slope/scl_inter applied.
 * {@link #header} reads the header alone, so that a request can be measured and admitted before any of
 * its volumes is decoded.
 */
public final class NiftiReader {

    static final int NIFTI1_HEADER = 348;
    static final int NIFTI2_HEADER = 540;
    private static final int CHUNK = 1 << 16;

    private final VolumeLimits limits;

    public NiftiReader(VolumeLimits limits) {
        this.limits = limits;
    }

    /** What a header says once validated against the limits: enough to plan and cost a volume before its voxels are read. */
    public record Header(VolumeGeometry geometry, NiftiDatatype type, long voxOffset, boolean gzip) {
    }

    public Volume read(byte[] file) throws NiftiFormatException {
        try {
            return read(new ByteArrayInputStream(file));
        } catch (IOException e) {
            throw new IllegalStateException("I/O error on a byte array", e);
        }
    }

    public Volume read(Path file) throws IOException, NiftiFormatException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in);
        }
    }

    /** Reads one volume from {@code raw} (not closed). IOException only for failures of the stream itself. */
    public Volume read(InputStream raw) throws IOException, NiftiFormatException {
        return read(raw, () -> { });
    }

    /**
     * As {@link #read(InputStream)}, running {@code checkpoint} before each chunk of the data is read and
     * converted, so that a request's deadline or cancellation (a runtime exception thrown there) stops it.
     */
    public Volume read(InputStream raw, Runnable checkpoint) throws IOException, NiftiFormatException {
        return parse(raw, p -> p.volume(checkpoint));
    }

    /**
     * Reads and validates only the header (of a .nii.gz: the start of the inflated stream), with the
     * limits checked: nothing of the size the header claims is allocated or read.
     */
    public Header header(InputStream raw) throws IOException, NiftiFormatException {
        return parse(raw, Parse::header);
    }

    @FunctionalInterface
    private interface Step<T> {
        T apply(Parse parse) throws IOException, NiftiFormatException;
    }

    private <T> T parse(InputStream raw, Step<T> step) throws IOException, NiftiFormatException {
        BufferedInputStream in = new BufferedInputStream(raw, CHUNK);
        in.mark(2);
        boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
        in.reset();
        if (!gzip) {
            return step.apply(new Parse(in, false));
        }
        // Closed here to free its inflater's native memory at once; the caller's stream stays open.
        try (InputStream inflated = new GZIPInputStream(new FilterInputStream(in) {
            @Override
            public void close() {
            }
        }, CHUNK)) {
            return step.apply(new Parse(new BufferedInputStream(inflated, CHUNK), true));
        } catch (EOFException e) {
            throw new NiftiFormatException(Kind.TRUNCATED, "the gzip stream is truncated (" + e.getMessage() + ")", e);
        } catch (ZipException e) {
            throw new NiftiFormatException(Kind.TRUNCATED, "the gzip stream is corrupt (" + e.getMessage() + ")", e);
        }
    }

    /** One read: the stream, bytes consumed so far and the parsed header fields. */
    private final class Parse {
        private final InputStream in;
        private final boolean gzip;
        private long position;

        private int version;
        private ByteOrder order;
        private final long[] dim = new long[8];
        private final double[] pixdim = new double[8];
        private int datatypeCode;
        private double voxOffset;
        private double sclSlope;
        private double sclInter;
        private int qformCode;
        private int sformCode;
        private final double[] quatern = new double[6];
        private final double[] srow = new double[12];
        private int xyztUnits;
        private int headerSize;
        private NiftiDatatype type;
        private long voxels;
        private long dataBytes;
        private String described;

        Parse(InputStream in, boolean gzip) {
            this.in = in;
            this.gzip = gzip;
        }

        /** Reads and validates the header, checks the limits and makes the geometry. */
        Header header() throws IOException, NiftiFormatException {
            headerSize = readHeader();
            int rank = (int) dim[0];
            int[] dims = validateDims();
            type = NiftiDatatype.of(datatypeCode);
            voxels = (long) dims[0] * dims[1] * dims[2];
            dataBytes = voxels * type.bytes;
            described = "header says " + dims[0] + "x" + dims[1] + "x" + dims[2] + " " + type.label;
            validateVoxOffset(headerSize);
            long offset = (long) voxOffset;
            try {
                limits.check(voxels, offset + dataBytes, described + " from vox_offset " + offset);
            } catch (VolumeFormatException e) {
                throw new NiftiFormatException(e.kind(), e.getMessage());
            }
            validatePixdim(rank);
            VolumeGeometry geometry = new VolumeGeometry(rank, dims, pixdim, qformCode, quatern, sformCode, srow,
                    xyztUnits);
            if (!geometry.affine().isFinite() || geometry.affine().voxelVolume() < 1e-12) {
                throw new NiftiFormatException(Kind.INVALID_HEADER, "the " + geometry.affineSource().name().toLowerCase()
                        + " affine is singular or not finite: " + geometry.affine());
            }
            return new Header(geometry, type, offset, gzip);
        }

        /** The header, then the voxels: exactly the header's number of data bytes, and nothing after them. */
        Volume volume(Runnable checkpoint) throws IOException, NiftiFormatException {
            Header h = header();
            long offset = h.voxOffset();
            // Extensions (if any) lie between the header and vox_offset; they are skipped unread.
            long skipped = skip(offset - headerSize, checkpoint);
            if (skipped < offset - headerSize) {
                throw new NiftiFormatException(Kind.SIZE_MISMATCH, "vox_offset " + offset
                        + " is beyond the end of the file (" + position + " bytes" + (gzip ? " decompressed" : "") + ")");
            }
            float[] data = new float[(int) voxels];
            long got = readData(type, data, checkpoint);
            long cap = limits.maxBytes() - position;
            long rest = got < dataBytes ? 0 : countRest(cap, checkpoint);
            if (got < dataBytes || rest > 0) {
                throw new NiftiFormatException(Kind.SIZE_MISMATCH, described + " = " + dataBytes
                        + " bytes from vox_offset " + offset + ", file has " + (rest > cap ? "more than " : "")
                        + (got + rest) + (gzip ? " (decompressed)" : ""));
            }
            return new Volume(h.geometry(), data);
        }

        private long skip(long n, Runnable checkpoint) throws IOException {
            byte[] scratch = new byte[(int) Math.min(CHUNK, Math.max(n, 1))];
            long done = 0;
            while (done < n) {
                checkpoint.run();
                int got = in.readNBytes(scratch, 0, (int) Math.min(scratch.length, n - done));
                if (got == 0) {
                    break;
                }
                done += got;
            }
            position += done;
            return done;
        }

        /** Counts the bytes left in the stream, stopping once past {@code cap}. */
        private long countRest(long cap, Runnable checkpoint) throws IOException {
            byte[] scratch = new byte[CHUNK];
            long n = 0;
            int got;
            while (n <= cap && (got = in.read(scratch)) > 0) {
                n += got;
                checkpoint.run();
            }
            return n;
        }

        /** Converts the voxel bytes into {@code data}; returns how many bytes there were (short at EOF). */
        private long readData(NiftiDatatype type, float[] data, Runnable checkpoint) throws IOException {
            boolean scaled = Double.isFinite(sclSlope) && sclSlope != 0;
            double slope = scaled ? sclSlope : 1;
            double inter = scaled && Double.isFinite(sclInter) ? sclInter : 0;
            byte[] chunk = new byte[CHUNK];
            ByteBuffer b = ByteBuffer.wrap(chunk).order(order);
            long total = 0;
            int voxel = 0;
            while (voxel < data.length) {
                checkpoint.run();
                int want = (int) Math.min(CHUNK / type.bytes, data.length - (long) voxel) * type.bytes;
                int got = in.readNBytes(chunk, 0, want);
                total += got;
                int n = got / type.bytes;
                for (int v = 0; v < n; v++) {
                    double x = switch (type) {
                        case UINT8 -> chunk[v] & 0xff;
                        case INT8 -> chunk[v];
                        case INT16 -> b.getShort(2 * v);
                        case UINT16 -> b.getShort(2 * v) & 0xffff;
                        case INT32 -> b.getInt(4 * v);
                        case UINT32 -> b.getInt(4 * v) & 0xffffffffL;
                        case INT64 -> b.getLong(8 * v);
                        case FLOAT32 -> b.getFloat(4 * v);
                        case FLOAT64 -> b.getDouble(8 * v);
                    };
                    data[voxel + v] = (float) (scaled ? slope * x + inter : x);
                }
                voxel += n;
                if (got < want) {
                    break;
                }
            }
            position += total;
            return total;
        }

        private int readHeader() throws IOException, NiftiFormatException {
            byte[] h = new byte[NIFTI2_HEADER];
            int got = in.readNBytes(h, 0, 4);
            position = got;
            if (got < 4) {
                throw new NiftiFormatException(Kind.NOT_RECOGNISED, "not a NIfTI file: only " + got + " bytes"
                        + (gzip ? " after gzip decompression" : ""));
            }
            int le = ByteBuffer.wrap(h, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            int be = ByteBuffer.wrap(h, 0, 4).order(ByteOrder.BIG_ENDIAN).getInt();
            if (le == NIFTI1_HEADER || le == NIFTI2_HEADER) {
                order = ByteOrder.LITTLE_ENDIAN;
            } else if (be == NIFTI1_HEADER || be == NIFTI2_HEADER) {
                order = ByteOrder.BIG_ENDIAN;
            } else {
                throw new NiftiFormatException(Kind.NOT_RECOGNISED, "not a NIfTI file: sizeof_hdr reads " + le
                        + " (little-endian) / " + be + " (big-endian), expected 348 (NIfTI-1) or 540 (NIfTI-2)"
                        + (gzip ? " (after gzip decompression)" : ""));
            }
            int size = order == ByteOrder.LITTLE_ENDIAN ? le : be;
            version = size == NIFTI1_HEADER ? 1 : 2;
            got = in.readNBytes(h, 4, size - 4);
            position += got;
            if (got < size - 4) {
                throw new NiftiFormatException(Kind.SIZE_MISMATCH, "the file ends after " + position
                        + " bytes, inside the " + size + "-byte NIfTI-" + version + " header");
            }
            ByteBuffer b = ByteBuffer.wrap(h, 0, size).order(order);
            checkMagic(h);
            if (version == 1) {
                for (int i = 0; i < 8; i++) {
                    dim[i] = b.getShort(40 + 2 * i);
                    pixdim[i] = b.getFloat(76 + 4 * i);
                }
                datatypeCode = b.getShort(70);
                voxOffset = b.getFloat(108);
                sclSlope = b.getFloat(112);
                sclInter = b.getFloat(116);
                xyztUnits = b.get(123) & 0xff;
                qformCode = b.getShort(252);
                sformCode = b.getShort(254);
                for (int i = 0; i < 6; i++) {
                    quatern[i] = b.getFloat(256 + 4 * i);
                }
                for (int i = 0; i < 12; i++) {
                    srow[i] = b.getFloat(280 + 4 * i);
                }
            } else {
                datatypeCode = b.getShort(12);
                for (int i = 0; i < 8; i++) {
                    dim[i] = b.getLong(16 + 8 * i);
                    pixdim[i] = b.getDouble(104 + 8 * i);
                }
                voxOffset = b.getLong(168);
                sclSlope = b.getDouble(176);
                sclInter = b.getDouble(184);
                qformCode = b.getInt(344);
                sformCode = b.getInt(348);
                for (int i = 0; i < 6; i++) {
                    quatern[i] = b.getDouble(352 + 8 * i);
                }
                for (int i = 0; i < 12; i++) {
                    srow[i] = b.getDouble(400 + 8 * i);
                }
                xyztUnits = b.getInt(500);
            }
            return size;
        }

        private void checkMagic(byte[] h) throws NiftiFormatException {
            String magic = version == 1 ? new String(h, 344, 4, StandardCharsets.ISO_8859_1)
                    : new String(h, 4, 8, StandardCharsets.ISO_8859_1);
            String single = version == 1 ? "n+1\0" : "n+2\0\r\n\032\n";
            String pair = version == 1 ? "ni1\0" : "ni2\0\r\n\032\n";
            if (magic.equals(single)) {
                return;
            }
            if (magic.equals(pair)) {
                throw new NiftiFormatException(Kind.UNSUPPORTED, "this is the header of a NIfTI-" + version
                        + " .hdr/.img pair (magic 'ni" + version + "'); send the single-file .nii form");
            }
            throw new NiftiFormatException(Kind.NOT_RECOGNISED, "not a NIfTI file: sizeof_hdr is "
                    + (version == 1 ? NIFTI1_HEADER : NIFTI2_HEADER) + " but the magic is '" + printable(magic)
                    + "' instead of '" + printable(single) + "'" + (version == 1 ? " (an Analyze 7.5 header?)" : ""));
        }

        private int[] validateDims() throws NiftiFormatException {
            long rank = dim[0];
            if (rank < 2 || rank > 7) {
                throw new NiftiFormatException(Kind.INVALID_HEADER, "dim[0] is " + rank
                        + "; the number of dimensions must be 2 to 7");
            }
            for (int i = 1; i <= rank; i++) {
                if (dim[i] < 1) {
                    throw new NiftiFormatException(Kind.INVALID_HEADER, "dim[" + i + "] is " + dim[i]
                            + "; sizes must be positive");
                }
            }
            for (int i = 4; i <= rank; i++) {
                if (dim[i] != 1) {
                    throw new NiftiFormatException(Kind.UNSUPPORTED, "dim[" + i + "] is " + dim[i] + ": a "
                            + rank + "-D series; send one 3-D volume per modality (dims beyond the third must be 1)");
                }
            }
            int[] dims = new int[3];
            for (int i = 0; i < 3; i++) {
                long d = i + 1 <= rank ? dim[i + 1] : 1;
                if (d > Integer.MAX_VALUE) {
                    throw new NiftiFormatException(Kind.TOO_LARGE, "dim[" + (i + 1) + "] is " + d);
                }
                dims[i] = (int) d;
            }
            return dims;
        }

        private void validateVoxOffset(int headerSize) throws NiftiFormatException {
            if (!Double.isFinite(voxOffset) || voxOffset < headerSize || voxOffset != Math.rint(voxOffset)) {
                throw new NiftiFormatException(Kind.INVALID_HEADER, "vox_offset is " + voxOffset
                        + "; a single-file NIfTI-" + version + " needs a whole number of at least " + headerSize
                        + " (the header size)");
            }
        }

        private void validatePixdim(int rank) throws NiftiFormatException {
            for (int i = 1; i <= Math.min(rank, 3); i++) {
                if (!(pixdim[i] > 0) || !Double.isFinite(pixdim[i])) {
                    throw new NiftiFormatException(Kind.INVALID_HEADER, "pixdim[" + i + "] is " + pixdim[i]
                            + "; voxel spacing must be positive");
                }
            }
        }
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            out.append(c >= 32 && c < 127 ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        }
        return out.toString();
    }
}
