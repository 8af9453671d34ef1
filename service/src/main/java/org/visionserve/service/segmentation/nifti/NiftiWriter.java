package org.visionserve.service.segmentation.nifti;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import org.visionserve.service.segmentation.VolumeGeometry;

/**
 * Writes single-file NIfTI-1 ({@code n+1}, little-endian, vox_offset 352, no extensions), optionally
 * gzip-compressed, with the geometry of a {@link VolumeGeometry} as stored: dim, pixdim (incl. qfac),
 * qform and sform codes and parameters, xyzt_units. The mask written for an input therefore has the
 * input's geometry (a NIfTI-2 input's doubles are narrowed to the NIfTI-1 floats).
 */
public final class NiftiWriter {

    private static final int VOX_OFFSET = 352;

    private NiftiWriter() {
    }

    /** A uint8 mask (0/1 or labels) in {@code geometry}, as a byte array. */
    public static byte[] writeMask(VolumeGeometry geometry, byte[] mask, boolean gzip) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(mask.length / (gzip ? 8 : 1) + VOX_OFFSET);
        try {
            writeMask(geometry, mask, out, gzip);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static void writeMask(VolumeGeometry geometry, byte[] mask, OutputStream out, boolean gzip)
            throws IOException {
        if (mask.length != geometry.voxelCount()) {
            throw new IllegalArgumentException(mask.length + " mask voxels for " + geometry.shapeString());
        }
        write(geometry, NiftiDatatype.UINT8, gzip, out, (chunk, from, n) -> chunk.put(mask, from, n));
    }

    /**
     * Voxels as {@code type} (integer types rounded and clamped; no scaling), e.g. for tests and tools that
     * need a NIfTI file of a synthetic volume.
     */
    public static byte[] write(VolumeGeometry geometry, float[] data, NiftiDatatype type, boolean gzip) {
        if (data.length != geometry.voxelCount()) {
            throw new IllegalArgumentException(data.length + " voxels for " + geometry.shapeString());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            write(geometry, type, gzip, out, (chunk, from, n) -> {
                for (int v = from; v < from + n; v++) {
                    float x = data[v];
                    switch (type) {
                        case UINT8 -> chunk.put((byte) clamp(x, 0, 255));
                        case INT8 -> chunk.put((byte) clamp(x, -128, 127));
                        case INT16 -> chunk.putShort((short) clamp(x, Short.MIN_VALUE, Short.MAX_VALUE));
                        case UINT16 -> chunk.putShort((short) clamp(x, 0, 65535));
                        case INT32 -> chunk.putInt((int) clamp(x, Integer.MIN_VALUE, Integer.MAX_VALUE));
                        case UINT32 -> chunk.putInt((int) clamp(x, 0, 4294967295L));
                        case INT64 -> chunk.putLong(Math.round((double) x));
                        case FLOAT32 -> chunk.putFloat(x);
                        case FLOAT64 -> chunk.putDouble(x);
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static long clamp(float x, long lo, long hi) {
        return Math.max(lo, Math.min(hi, Math.round((double) x)));
    }

    private interface VoxelSink {
        void put(ByteBuffer chunk, int from, int n);
    }

    private static void write(VolumeGeometry g, NiftiDatatype type, boolean gzip, OutputStream target, VoxelSink voxels)
            throws IOException {
        for (int a = 0; a < 3; a++) {
            if (g.dim(a) > Short.MAX_VALUE) {
                throw new IllegalArgumentException("dim " + g.dim(a) + " does not fit a NIfTI-1 header");
            }
        }
        OutputStream out = gzip ? new GZIPOutputStream(target, 1 << 16) : target;
        out.write(header(g, type));
        int perChunk = (1 << 16) / type.bytes;
        ByteBuffer chunk = ByteBuffer.allocate(perChunk * type.bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = g.voxelCount();
        for (int from = 0; from < n; from += perChunk) {
            chunk.clear();
            int count = Math.min(perChunk, n - from);
            voxels.put(chunk, from, count);
            out.write(chunk.array(), 0, chunk.position());
        }
        if (gzip) {
            ((GZIPOutputStream) out).finish();
        }
        out.flush();
    }

    /** The 348-byte NIfTI-1 header plus the 4 extension-flag bytes (all zero: no extensions). */
    static byte[] header(VolumeGeometry g, NiftiDatatype type) {
        ByteBuffer b = ByteBuffer.allocate(VOX_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 348);
        b.put(38, (byte) 'r'); // "regular", as nifti1_io writes it
        int rank = Math.max(g.rank(), g.nz() > 1 ? 3 : 2);
        b.putShort(40, (short) rank);
        for (int i = 1; i <= 7; i++) {
            b.putShort(40 + 2 * i, (short) (i <= 3 ? g.dim(i - 1) : 1));
        }
        b.putShort(70, (short) type.code);
        b.putShort(72, (short) (8 * type.bytes));
        double[] pixdim = g.pixdim();
        for (int i = 0; i < 8; i++) {
            b.putFloat(76 + 4 * i, (float) pixdim[i]);
        }
        b.putFloat(108, VOX_OFFSET);
        b.putFloat(112, 1f); // scl_slope 1, scl_inter 0: stored values are the values
        b.put(123, (byte) g.xyztUnits());
        byte[] descrip = "visionserve".getBytes(StandardCharsets.US_ASCII);
        b.put(148, descrip);
        b.putShort(252, (short) g.qformCode());
        b.putShort(254, (short) g.sformCode());
        double[] q = g.quatern();
        for (int i = 0; i < 6; i++) {
            b.putFloat(256 + 4 * i, (float) q[i]);
        }
        double[] srow = g.srow();
        for (int i = 0; i < 12; i++) {
            b.putFloat(280 + 4 * i, (float) srow[i]);
        }
        b.put(344, "n+1\0".getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }
}
