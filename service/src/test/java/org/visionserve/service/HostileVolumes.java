package org.visionserve.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/**
 * NIfTI-1 files written byte by byte for the hostile-input tests: headers that claim any dimensions with
 * no voxel data behind them, and whole flat volumes that gzip to a few kilobytes. Identity geometry
 * (pixdim 1 mm, no qform or sform), little-endian, {@code vox_offset} 352.
 */
public final class HostileVolumes {

    public static final int UINT8 = 2;
    public static final int INT16 = 4;
    public static final int FLOAT64 = 64;

    private static final int HEADER = 348;
    private static final int OFFSET = HEADER + 4;

    private HostileVolumes() {
    }

    /** A header of {@code nx x ny x nz} voxels of {@code datatype} and nothing after it (a .nii). */
    public static byte[] headerOnly(int nx, int ny, int nz, int datatype) {
        return header(nx, ny, nz, datatype).array();
    }

    /** A whole volume of uint8 voxels all {@code value}, gzipped (a .nii.gz: 64x256x256 zeros are ~4 KB). */
    public static byte[] flatGz(int nx, int ny, int nz, int value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(header(nx, ny, nz, UINT8).array());
            byte[] slice = new byte[nx * ny];
            java.util.Arrays.fill(slice, (byte) value);
            for (int z = 0; z < nz; z++) {
                gz.write(slice);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static ByteBuffer header(int nx, int ny, int nz, int datatype) {
        ByteBuffer b = ByteBuffer.allocate(OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, HEADER);
        short[] dim = {3, clampShort(nx), clampShort(ny), clampShort(nz), 1, 1, 1, 1};
        for (int i = 0; i < 8; i++) {
            b.putShort(40 + 2 * i, dim[i]);
            b.putFloat(76 + 4 * i, i <= 3 ? 1f : 0f); // pixdim[0] = qfac 1, then 1 mm voxels
        }
        b.putShort(70, (short) datatype);
        b.putShort(72, (short) (8 * bytesOf(datatype)));
        b.putFloat(108, OFFSET);
        b.put(344, "n+1\0".getBytes(StandardCharsets.US_ASCII));
        return b;
    }

    private static int bytesOf(int datatype) {
        return switch (datatype) {
            case UINT8 -> 1;
            case INT16 -> 2;
            case FLOAT64 -> 8;
            default -> throw new IllegalArgumentException("datatype " + datatype);
        };
    }

    private static short clampShort(int n) {
        if (n < 1 || n > Short.MAX_VALUE) {
            throw new IllegalArgumentException("NIfTI-1 dims are 1 to 32767: " + n);
        }
        return (short) n;
    }
}
