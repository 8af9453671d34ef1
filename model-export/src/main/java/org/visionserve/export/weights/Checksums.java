package org.visionserve.export.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of checkpoint files, streamed so a large file is never held in memory. */
public final class Checksums {

    private Checksums() {
    }

    public static String sha256(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return sha256(ch);
        }
    }

    static String sha256(FileChannel ch) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        long pos = 0;
        int n;
        while ((n = ch.read(buf, pos)) > 0) {
            pos += n;
            md.update(buf.flip());
            buf.clear();
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
