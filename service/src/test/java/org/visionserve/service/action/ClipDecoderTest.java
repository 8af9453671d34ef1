package org.visionserve.service.action;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.visionserve.service.HostilePngs;
import org.visionserve.service.runtime.RequestScope;

class ClipDecoderTest {

    static final int W = 160;
    static final int H = 120;
    static final ClipDecoder DECODER = new ClipDecoder(ClipLimits.DEFAULT);

    @ParameterizedTest
    @EnumSource(TestClips.Kind.class)
    void decodesEachContainerToRgbFrames(TestClips.Kind kind) throws IOException {
        List<byte[]> source = TestClips.frames(W, H, 30, 3, 2);
        byte[] video = TestClips.encode(kind, W, H, 25, source);

        DecodedClip clip = DECODER.decode(video);

        assertEquals(30, clip.frameCount(), kind + " frame count");
        assertEquals(W, clip.width());
        assertEquals(H, clip.height());
        assertEquals(25.0, clip.fps(), 0.01);
        assertTrue(clip.source().contains(kind.format), clip.source());
        for (int t : new int[] {0, 14, 29}) {
            double err = TestClips.meanAbsDiff(source.get(t), clip.frames().get(t));
            // lossy codecs and 4:2:0 chroma; a wrong channel order or a shifted frame gives > 40
            assertTrue(err < 12, kind + " frame " + t + " differs from the source by " + err + " on average");
        }
    }

    @ParameterizedTest
    @EnumSource(TestClips.Kind.class)
    void measuresEachContainerFromItsHeaderWithoutDecoding(TestClips.Kind kind) throws IOException {
        byte[] video = TestClips.encode(kind, W, H, 25, TestClips.frames(W, H, 30, 3, 2));
        ClipDecoder decoder = new ClipDecoder(ClipLimits.DEFAULT);

        ClipShape shape = decoder.measure(video);

        assertEquals(W, shape.width(), kind.toString());
        assertEquals(H, shape.height());
        assertEquals(25.0, shape.fps(), 0.01);
        assertEquals(30 + 3, shape.frames(), "30 declared (MP4, MOV, AVI) or 1.2 s x 25 fps (WebM), with slack");
        assertTrue(shape.source().contains(kind.format), shape.source());
        assertEquals(0, decoder.framesDecoded());
        try (RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(10))) {
            assertEquals(30, decoder.decode(video, shape, scope).frameCount());
        }
        assertEquals(30, decoder.framesDecoded());
    }

    @Test
    void aContainerDeclaringAHugeFrameIsRefusedFromItsHeader() throws IOException {
        byte[] video = TestClips.encode(TestClips.Kind.MP4_H264, W, H, 25, TestClips.frames(W, H, 12, 3, 2));
        ClipDecoder decoder = new ClipDecoder(ClipLimits.DEFAULT);
        var e = assertThrows(ClipDecodeException.class,
                () -> decoder.measure(TestClips.declaringFrameSize(video, 20_000, 20_000)));
        assertEquals(ClipLimits.Bound.PIXELS, e.bound(), e.getMessage());
        assertTrue(e.getMessage().contains("20000x20000"), e.getMessage());
        var stretched = assertThrows(ClipDecodeException.class,
                () -> decoder.measure(TestClips.declaringFrameSize(video, 640, 40)));
        assertEquals(ClipLimits.Bound.ASPECT_RATIO, stretched.bound(), stretched.getMessage());
        assertEquals(0, decoder.framesDecoded());
    }

    @Test
    void refusesRandomBytesAndText() {
        var random = assertThrows(ClipDecodeException.class, () -> DECODER.decode(TestClips.randomBytes(50_000, 1)));
        assertEquals(ClipDecodeException.Kind.UNSUPPORTED, random.kind(), random.getMessage());
        var text = assertThrows(ClipDecodeException.class,
                () -> DECODER.decode("this is not a video\n".repeat(100).getBytes(StandardCharsets.UTF_8)));
        assertEquals(ClipDecodeException.Kind.UNSUPPORTED, text.kind(), text.getMessage());
        assertTrue(text.getMessage().contains("MP4, MOV, WebM or AVI"), text.getMessage());
        var empty = assertThrows(ClipDecodeException.class, () -> DECODER.decode(new byte[0]));
        assertEquals(ClipDecodeException.Kind.CORRUPT, empty.kind());
    }

    @Test
    void refusesAnImageFileAsAVideo() throws IOException {
        var e = assertThrows(ClipDecodeException.class, () -> DECODER.decode(png(TestClips.frame(W, H, 0, 0, 0))));
        assertEquals(ClipDecodeException.Kind.UNSUPPORTED, e.kind(), e.getMessage());
    }

    @Test
    void truncatedMp4IsCorrupt() throws IOException {
        byte[] video = TestClips.encode(TestClips.Kind.MP4_H264, W, H, 25, TestClips.frames(W, H, 30, 3, 2));
        byte[] half = Arrays.copyOf(video, video.length / 2); // the index (moov) is written at the end
        var e = assertThrows(ClipDecodeException.class, () -> DECODER.decode(half));
        assertEquals(ClipDecodeException.Kind.CORRUPT, e.kind(), e.getMessage());
    }

    @Test
    void cutWebmIsCorrupt() throws IOException {
        byte[] video = TestClips.encode(TestClips.Kind.WEBM_VP8, W, H, 25, TestClips.frames(W, H, 30, 3, 2));
        byte[] cut = Arrays.copyOf(video, 400); // header and the start of the first frame only
        var e = assertThrows(ClipDecodeException.class, () -> DECODER.decode(cut));
        assertEquals(ClipDecodeException.Kind.CORRUPT, e.kind(), e.getMessage());
    }

    @Test
    void refusesClipsOverTheLimits() throws IOException {
        byte[] video = TestClips.encode(TestClips.Kind.MP4_H264, W, H, 25, TestClips.frames(W, H, 30, 3, 2));
        Duration d = Duration.ofSeconds(30);
        assertTooLarge(new ClipLimits(video.length - 1, d, 100, 1 << 20), video, "bytes");
        assertTooLarge(new ClipLimits(1 << 24, d, 20, 1 << 20), video, "frames");
        assertTooLarge(new ClipLimits(1 << 24, Duration.ofMillis(800), 100, 1 << 20), video, "s");
        assertTooLarge(new ClipLimits(1 << 24, d, 100, 100 * 100), video, "pixels");
        // exactly at the limits: accepted
        DecodedClip clip = new ClipDecoder(new ClipLimits(video.length, Duration.ofMillis(1200), 30, W * H))
                .decode(video);
        assertEquals(30, clip.frameCount());
    }

    @Test
    void enforcesTheFrameLimitWhileDecodingWhenTheContainerDeclaresNoLength() throws Exception {
        // Written to a pipe, the WebM muxer cannot go back to store the duration: only decoding can count.
        byte[] video = TestClips.encodeStreamed(TestClips.Kind.WEBM_VP8, W, H, 25, TestClips.frames(W, H, 40, 3, 2));
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(new java.io.ByteArrayInputStream(video), video.length)) {
            g.start();
            assertTrue(g.getLengthInTime() <= 0 && g.getLengthInVideoFrames() <= 0,
                    "the stream declares no length: " + g.getLengthInTime());
        }
        assertEquals(40, DECODER.decode(video).frameCount());
        assertTooLarge(new ClipLimits(1 << 24, Duration.ofSeconds(30), 25, 1 << 20), video, "25 frames");
        assertTooLarge(new ClipLimits(1 << 24, Duration.ofMillis(1000), 100, 1 << 20), video, "1.0 s");
    }

    private static void assertTooLarge(ClipLimits limits, byte[] video, String mention) {
        var e = assertThrows(ClipDecodeException.class, () -> new ClipDecoder(limits).decode(video));
        assertEquals(ClipDecodeException.Kind.TOO_LARGE, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(mention), e.getMessage());
    }

    /**
     * Decoding frees its native memory itself (the grabber's close(): codec, format context, scaler and
     * frame buffers), for good and broken clips alike, without the garbage collector: right after each
     * decode JavaCPP counts no more live pointers and bytes than before it (an unclosed grabber keeps 4
     * more pointers alive per decode). Read at once, before a collection could reclaim a leaked grabber,
     * so neither the check nor what it catches depends on when the GC runs.
     */
    @Test
    void decodingReleasesItsNativeMemory() throws IOException {
        byte[] video = TestClips.encode(TestClips.Kind.MP4_H264, 320, 240, 25, TestClips.frames(320, 240, 25, 3, 2));
        byte[] broken = Arrays.copyOf(video, video.length / 2);
        for (int i = 0; i < 3; i++) {
            DECODER.decode(video); // loads the libraries and their static state
        }
        for (int i = 0; i < 20; i++) {
            long pointers = Pointer.totalCount();
            long bytes = Pointer.totalBytes();
            DECODER.decode(video);
            assertTrue(Pointer.totalCount() <= pointers && Pointer.totalBytes() <= bytes, "decode " + i
                    + ": live JavaCPP pointers " + pointers + " -> " + Pointer.totalCount() + ", bytes " + bytes
                    + " -> " + Pointer.totalBytes());
            pointers = Pointer.totalCount();
            bytes = Pointer.totalBytes();
            assertThrows(ClipDecodeException.class, () -> DECODER.decode(broken));
            assertTrue(Pointer.totalCount() <= pointers && Pointer.totalBytes() <= bytes, "broken decode " + i
                    + ": live JavaCPP pointers " + pointers + " -> " + Pointer.totalCount() + ", bytes " + bytes
                    + " -> " + Pointer.totalBytes());
        }
    }

    @Test
    void decodesAListOfFrameImages() throws IOException {
        List<byte[]> source = TestClips.frames(W, H, 12, 3, 2);
        List<byte[]> images = new ArrayList<>();
        for (byte[] f : source) {
            images.add(png(f));
        }
        DecodedClip clip = DECODER.decodeImages(images);
        assertEquals(12, clip.frameCount());
        for (int t = 0; t < 12; t++) {
            assertTrue(Arrays.equals(source.get(t), clip.frames().get(t)), "PNG frame " + t + " is lossless");
        }
        // grey PNGs: the raw sample, not a colour-managed conversion
        BufferedImage grey = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(5, 7, 0, 100);
        DecodedClip g = DECODER.decodeImages(List.of(encodePng(grey)));
        int i = 3 * (7 * W + 5);
        assertEquals(100, g.frames().get(0)[i] & 0xff);
        assertEquals(100, g.frames().get(0)[i + 2] & 0xff);
    }

    @Test
    void refusesBadFrameLists() throws IOException {
        var notImage = assertThrows(ClipDecodeException.class,
                () -> DECODER.decodeImages(List.of(png(TestClips.frame(W, H, 0, 0, 0)), "text".getBytes())));
        assertEquals(ClipDecodeException.Kind.UNSUPPORTED, notImage.kind());
        assertTrue(notImage.getMessage().contains("frame 1"), notImage.getMessage());
        var sizes = assertThrows(ClipDecodeException.class, () -> DECODER.decodeImages(
                List.of(png(TestClips.frame(W, H, 0, 0, 0)), png(TestClips.frame(W / 2, H, 0, 0, 0)))));
        assertEquals(ClipDecodeException.Kind.UNSUPPORTED, sizes.kind());
        List<byte[]> many = new ArrayList<>();
        byte[] one = png(TestClips.frame(16, 16, 0, 0, 0));
        for (int i = 0; i < 11; i++) {
            many.add(one);
        }
        var tooMany = assertThrows(ClipDecodeException.class,
                () -> new ClipDecoder(new ClipLimits(1 << 20, Duration.ofSeconds(1), 10, 1 << 20)).decodeImages(many));
        assertEquals(ClipDecodeException.Kind.TOO_LARGE, tooMany.kind());
    }

    @Test
    void everyFrameIsMeasuredFromItsHeaderBeforeAnyIsDecoded() throws IOException {
        // frame 0 would fail to decode (a header with no data); the huge frame 5 is refused first, unread
        List<byte[]> frames = new ArrayList<>();
        frames.add(HostilePngs.headerOnly(W, H));
        byte[] good = png(TestClips.frame(W, H, 0, 0, 0));
        for (int i = 1; i < 11; i++) {
            frames.add(i == 5 ? HostilePngs.headerOnly(25_000, 25_000) : good);
        }
        var huge = assertThrows(ClipDecodeException.class, () -> DECODER.decodeImages(frames));
        assertEquals(ClipDecodeException.Kind.TOO_LARGE, huge.kind(), huge.getMessage());
        assertEquals(ClipLimits.Bound.PIXELS, huge.bound());
        assertTrue(huge.getMessage().contains("25000x25000"), huge.getMessage());
        // without it, the damaged frame 0 is found when decoding
        frames.set(5, good);
        var damaged = assertThrows(ClipDecodeException.class, () -> DECODER.decodeImages(frames));
        assertEquals(ClipDecodeException.Kind.CORRUPT, damaged.kind(), damaged.getMessage());
        assertTrue(damaged.getMessage().contains("frame 0"), damaged.getMessage());
    }

    @Test
    void damagedClipsAreDescribedWithoutJavaObjectNames() throws IOException {
        byte[] video = TestClips.encode(TestClips.Kind.MP4_H264, W, H, 25, TestClips.frames(W, H, 30, 3, 2));
        for (byte[] broken : List.of(Arrays.copyOf(video, video.length / 2), Arrays.copyOf(video, 40))) {
            var e = assertThrows(ClipDecodeException.class, () -> DECODER.decode(broken));
            assertFalse(e.getMessage().matches("(?s).*(java\\.|@[0-9a-f]{4,}|Exception).*"), e.getMessage());
        }
    }

    static byte[] png(byte[] rgb) throws IOException {
        int w = (int) Math.round(Math.sqrt(rgb.length / 3.0 * 4 / 3)); // 4:3 frames from TestClips
        int h = rgb.length / 3 / w;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        for (int p = 0; p < w * h; p++) {
            int v = (rgb[3 * p] & 0xff) << 16 | (rgb[3 * p + 1] & 0xff) << 8 | (rgb[3 * p + 2] & 0xff);
            image.setRGB(p % w, p / w, v);
        }
        return encodePng(image);
    }

    static byte[] encodePng(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
