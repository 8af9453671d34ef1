package org.visionserve.service.segmentation.nifti;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/**
 * Test files byte by byte, independent of {@link NiftiWriter}: NIfTI-1 or -2, either byte order, any
 * header field (including wrong ones), voxel values encoded as the datatype says.
 */
final class NiftiBuilder {

    int version = 1;
    ByteOrder order = ByteOrder.LITTLE_ENDIAN;
    long[] dim = {3, 4, 5, 6, 1, 1, 1, 1};
    int datatype = 4; // int16
    double[] pixdim = {1, 2.0, 1.25, 1.25, 0, 0, 0, 0};
    Long voxOffset; // default: header size + 4
    double sclSlope;
    double sclInter;
    int qformCode;
    int sformCode;
    double[] quatern = new double[6];
    double[] srow = {2, 0, 0, 0, 0, 1.25, 0, 0, 0, 0, 1.25, 0};
    String magic; // default per version
    double[] values; // default 0, 1, 2, ...
    byte[] extension = new byte[0]; // bytes between the header (+4) and vox_offset
    int trailing; // extra bytes after the data
    int truncate; // bytes cut from the data

    static NiftiBuilder nifti1() {
        return new NiftiBuilder();
    }

    static NiftiBuilder nifti2() {
        NiftiBuilder b = new NiftiBuilder();
        b.version = 2;
        return b;
    }

    int headerSize() {
        return version == 1 ? 348 : 540;
    }

    long voxels() {
        long n = 1;
        for (int i = 1; i <= dim[0] && i < 8; i++) {
            n *= dim[i];
        }
        return n;
    }

    static int bytesOf(int datatype) {
        return switch (datatype) {
            case 2, 256 -> 1;
            case 4, 512 -> 2;
            case 8, 16, 768 -> 4;
            case 64, 1024 -> 8;
            default -> 1;
        };
    }

    byte[] build() {
        int hs = headerSize();
        long offset = voxOffset != null ? voxOffset : hs + 4 + extension.length;
        int n = (int) Math.max(0, voxels());
        int bpv = bytesOf(datatype);
        int dataLen = Math.max(0, n * bpv - truncate);
        int total = (int) Math.max(offset, hs + 4 + extension.length) + dataLen + trailing;
        ByteBuffer b = ByteBuffer.allocate(total).order(order);
        b.putInt(0, hs);
        if (version == 1) {
            for (int i = 0; i < 8; i++) {
                b.putShort(40 + 2 * i, (short) dim[i]);
                b.putFloat(76 + 4 * i, (float) pixdim[i]);
            }
            b.putShort(70, (short) datatype);
            b.putShort(72, (short) (8 * bpv));
            b.putFloat(108, (float) offset);
            b.putFloat(112, (float) sclSlope);
            b.putFloat(116, (float) sclInter);
            b.put(123, (byte) 10);
            b.putShort(252, (short) qformCode);
            b.putShort(254, (short) sformCode);
            for (int i = 0; i < 6; i++) {
                b.putFloat(256 + 4 * i, (float) quatern[i]);
            }
            for (int i = 0; i < 12; i++) {
                b.putFloat(280 + 4 * i, (float) srow[i]);
            }
            b.put(344, (magic != null ? magic : "n+1\0").getBytes(StandardCharsets.ISO_8859_1));
        } else {
            b.put(4, (magic != null ? magic : "n+2\0\r\n\032\n").getBytes(StandardCharsets.ISO_8859_1));
            b.putShort(12, (short) datatype);
            b.putShort(14, (short) (8 * bpv));
            for (int i = 0; i < 8; i++) {
                b.putLong(16 + 8 * i, dim[i]);
                b.putDouble(104 + 8 * i, pixdim[i]);
            }
            b.putLong(168, offset);
            b.putDouble(176, sclSlope);
            b.putDouble(184, sclInter);
            b.putInt(344, qformCode);
            b.putInt(348, sformCode);
            for (int i = 0; i < 6; i++) {
                b.putDouble(352 + 8 * i, quatern[i]);
            }
            for (int i = 0; i < 12; i++) {
                b.putDouble(400 + 8 * i, srow[i]);
            }
            b.putInt(500, 10);
        }
        if (extension.length > 0) {
            b.put(hs, (byte) 1);
            b.put(hs + 4, extension);
        }
        ByteBuffer d = ByteBuffer.allocate(n * bpv).order(order);
        for (int v = 0; v < n; v++) {
            double x = values != null ? values[v] : v;
            switch (datatype) {
                case 2, 256 -> d.put((byte) (long) x);
                case 4, 512 -> d.putShort((short) (long) x);
                case 8, 768 -> d.putInt((int) (long) x);
                case 16 -> d.putFloat((float) x);
                case 64 -> d.putDouble(x);
                case 1024 -> d.putLong((long) x);
                default -> d.put((byte) 0);
            }
        }
        b.put((int) Math.max(offset, hs + 4 + extension.length), d.array(), 0, dataLen);
        return b.array();
    }

    static byte[] gzip(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
