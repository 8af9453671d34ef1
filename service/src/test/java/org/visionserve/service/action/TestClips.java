package org.visionserve.service.action;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MJPEG;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_VP8;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ420P;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * Synthetic clips for the tests: a smooth static texture with a differently textured square moving by
 * ({@code dx}, {@code dy}) pixels per frame, encoded through FFmpeg in the containers we accept. Public for
 * the tests that run the packaged service ({@code HostileInputIT}, the soak load generator).
 */
public final class TestClips {

    /** Container, codec and pixel format of each accepted kind (what bytedeco's LGPL FFmpeg can encode). */
    public enum Kind {
        MP4_H264("mp4", AV_CODEC_ID_H264, AV_PIX_FMT_YUV420P),
        MOV_MPEG4("mov", AV_CODEC_ID_MPEG4, AV_PIX_FMT_YUV420P),
        WEBM_VP8("webm", AV_CODEC_ID_VP8, AV_PIX_FMT_YUV420P),
        AVI_MJPEG("avi", AV_CODEC_ID_MJPEG, AV_PIX_FMT_YUVJ420P);

        final String format;
        final int codec;
        final int pixelFormat;

        Kind(String format, int codec, int pixelFormat) {
            this.format = format;
            this.codec = codec;
            this.pixelFormat = pixelFormat;
        }
    }

    static final int SQUARE = 64;

    private TestClips() {
    }

    /** Frame {@code t}: packed RGB, square's top-left corner at (40 + dx t, 40 + dy t). */
    static byte[] frame(int w, int h, int t, int dx, int dy) {
        byte[] rgb = new byte[w * h * 3];
        int sx = 40 + dx * t;
        int sy = 40 + dy * t;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v;
                int u = x - sx;
                int s = y - sy;
                if (u >= 0 && u < SQUARE && s >= 0 && s < SQUARE) {
                    v = (int) (128 + 90 * Math.sin(u * 0.45) * Math.cos(s * 0.38)); // texture moving with the square
                } else {
                    v = (int) (110 + 40 * Math.sin(x * 0.11 + y * 0.05) + 30 * Math.cos(y * 0.13 - x * 0.04));
                }
                int i = 3 * (y * w + x);
                rgb[i] = (byte) v;
                rgb[i + 1] = (byte) (255 - v);
                rgb[i + 2] = (byte) (v / 2 + 40);
            }
        }
        return rgb;
    }

    public static List<byte[]> frames(int w, int h, int count, int dx, int dy) {
        List<byte[]> frames = new ArrayList<>();
        for (int t = 0; t < count; t++) {
            frames.add(frame(w, h, t, dx, dy));
        }
        return frames;
    }

    /** Encodes frames into a file of the given kind and returns its bytes. */
    public static byte[] encode(Kind kind, int w, int h, double fps, List<byte[]> frames) throws IOException {
        Path file = Files.createTempFile("clip", "." + kind.format);
        try {
            FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), w, h, 0);
            record(recorder, kind, fps, frames, w, h);
            return Files.readAllBytes(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Encodes into a stream (not seekable): the muxer cannot go back to write the duration. */
    static byte[] encodeStreamed(Kind kind, int w, int h, double fps, List<byte[]> frames) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FFmpegFrameRecorder recorder = new FFmpegFrameRecorder((OutputStream) bytes, w, h, 0);
        record(recorder, kind, fps, frames, w, h);
        return bytes.toByteArray();
    }

    private static void record(FFmpegFrameRecorder recorder, Kind kind, double fps, List<byte[]> frames, int w,
                               int h) throws IOException {
        try (recorder; Frame frame = new Frame(w, h, Frame.DEPTH_UBYTE, 3)) {
            recorder.setFormat(kind.format);
            recorder.setVideoCodec(kind.codec);
            recorder.setPixelFormat(kind.pixelFormat);
            recorder.setFrameRate(fps);
            if (kind.codec == AV_CODEC_ID_MJPEG) {
                recorder.setVideoQuality(2); // qscale: near-lossless JPEG frames
            }
            recorder.setVideoBitrate(4_000_000);
            recorder.setGopSize(12);
            recorder.start();
            ByteBuffer image = (ByteBuffer) frame.image[0];
            for (byte[] rgb : frames) {
                for (int y = 0; y < h; y++) {
                    image.position(y * frame.imageStride);
                    image.put(rgb, y * w * 3, w * 3);
                }
                image.rewind();
                recorder.record(frame, AV_PIX_FMT_RGB24);
            }
            recorder.stop();
        }
    }

    /**
     * The MP4 with the frame size of its sample description altered (the avc1 entry after "stsd":
     * width and height at 28 and 30 past the entry's type; "avc1" is also a brand in "ftyp").
     */
    static byte[] declaringFrameSize(byte[] mp4, int width, int height) {
        byte[] b = mp4.clone();
        String text = new String(b, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("avc1", text.indexOf("stsd"));
        if (at < 0) {
            throw new IllegalArgumentException("no avc1 sample description");
        }
        b[at + 28] = (byte) (width >> 8);
        b[at + 29] = (byte) width;
        b[at + 30] = (byte) (height >> 8);
        b[at + 31] = (byte) height;
        return b;
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Mean absolute difference of two 8-bit arrays. */
    static double meanAbsDiff(byte[] a, byte[] b) {
        long sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs((a[i] & 0xff) - (b[i] & 0xff));
        }
        return (double) sum / a.length;
    }
}
