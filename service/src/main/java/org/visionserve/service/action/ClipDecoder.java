package org.visionserve.service.action;

import static org.visionserve.service.action.ClipDecodeException.Kind.CORRUPT;
import static org.visionserve.service.action.ClipDecodeException.Kind.UNSUPPORTED;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.visionserve.service.runtime.RequestScope;

/**
 * Turns an uploaded clip (MP4, MOV, WebM/Matroska or AVI bytes, decoded by FFmpeg through JavaCV) or
 * a list of frame images into {@link DecodedClip} RGB frames, within {@link ClipLimits}, in two steps:
 * {@link #measure} reads the container's (or each frame's) header and checks it against the limits
 * before anything is decoded; {@link #decode} then decodes no more, and no larger, frames than measured,
 * checking the request's scope before each. Thread-safe: every call opens its own grabber and frees its
 * native memory before returning.
 */
public final class ClipDecoder {

    /** FFmpeg demuxer names we accept (its names for the MP4/MOV, WebM/Matroska and AVI families). */
    private static final List<String> CONTAINERS = List.of("mov", "mp4", "matroska", "webm", "avi");

    static {
        // FFmpeg's own logging goes to stderr; keep it to errors (damaged uploads are expected input).
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    }

    private final ClipLimits limits;
    private final int decoderThreads;
    private final AtomicLong framesDecoded = new AtomicLong();

    /**
     * @param decoderThreads threads FFmpeg's video decoder may use per clip (FFmpeg's default is one
     *                       per core, unbounded across concurrent requests)
     */
    public ClipDecoder(ClipLimits limits, int decoderThreads) {
        this.limits = limits;
        this.decoderThreads = Math.max(1, decoderThreads);
    }

    public ClipDecoder(ClipLimits limits) {
        this(limits, 1);
    }

    public ClipLimits limits() {
        return limits;
    }

    /** Frames (of videos and of frame lists) this decoder has decoded, for all requests together. */
    public long framesDecoded() {
        return framesDecoded.get();
    }

    /**
     * Measures a video file from its container header, before any frame is decoded: the container and
     * its video stream, the frame size, the declared duration and frame count, all checked against the
     * limits.
     *
     * @throws ClipDecodeException if the file is no supported video or declares more than a limit allows
     */
    public ClipShape measure(byte[] video) {
        if (video.length == 0) {
            throw new ClipDecodeException(CORRUPT, "empty upload: 0 bytes");
        }
        limits.checkBytes(video.length);
        VideoHeader header = VideoHeader.read(video, VideoHeader.decoderPixels(limits.maxPixels()));
        if (header == null) {
            // FFmpeg's own message would name its input object (java.io.ByteArrayInputStream@...): not for clients.
            throw knownContainerSignature(video)
                    ? new ClipDecodeException(CORRUPT, "the video container cannot be read (truncated or damaged)")
                    : new ClipDecodeException(UNSUPPORTED, "not a video: expected an MP4, MOV, WebM or AVI file");
        }
        String format = header.format();
        if (CONTAINERS.stream().noneMatch(c -> List.of(format.split(",")).contains(c))) {
            throw new ClipDecodeException(UNSUPPORTED, "container '" + format
                    + "' is not supported: expected an MP4, MOV, WebM or AVI file");
        }
        if (!header.hasVideo()) {
            throw new ClipDecodeException(UNSUPPORTED, "the " + format + " file has no video stream");
        }
        limits.checkSize(header.width(), header.height());
        // One frame of slack for the rounding of durations and of duration x rate.
        long frameMicros = header.fps() > 0 ? (long) (1e6 / header.fps()) : 0;
        if (header.durationMicros() > 0) {
            limits.checkDuration(header.durationMicros() - frameMicros);
        }
        long expected = header.expectedFrames();
        if (expected > 0) {
            limits.checkFrames(header.frames() > 0 ? expected : expected - 1);
        }
        // A declared length bounds what decoding may produce (with slack for rounding and variable rates);
        // without one, the frame limit does.
        int frames = expected > 0 ? (int) Math.min(limits.maxFrames(), expected + Math.max(2, expected / 10))
                : limits.maxFrames();
        return new ClipShape(header.width(), header.height(), frames, format + "/" + header.codec(), header.fps(),
                (int) Math.min(Integer.MAX_VALUE, Math.max(0, expected)));
    }

    /** Measures and decodes a video file (tests, tools: no deadline). */
    public DecodedClip decode(byte[] video) {
        return ScopedTasks.unbounded(scope -> decode(video, measure(video), scope));
    }

    /**
     * Decodes a video file measured by {@link #measure}, checking the scope before each frame. The
     * frames may not be larger or more than measured (the working memory was estimated from that).
     */
    public DecodedClip decode(byte[] video, ClipShape shape, RequestScope scope) {
        scope.check();
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(new ByteArrayInputStream(video), video.length);
        try {
            grabber.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
            grabber.setVideoOption("threads", Integer.toString(decoderThreads));
            // The decoder refuses frames far larger than the container declared (a lying codec header).
            grabber.setVideoOption("max_pixels", Long.toString(VideoHeader.decoderPixels(shape.pixels())));
            try {
                grabber.start(false); // no stream-info probing: nothing is decoded outside the loop below
            } catch (FrameGrabber.Exception e) {
                throw new ClipDecodeException(CORRUPT, "the video stream cannot be opened (damaged data)", e);
            }
            return grabFrames(grabber, shape, scope);
        } finally {
            try {
                grabber.close(); // stop + release: frees the codec, format context, scaler and frame buffers
            } catch (FrameGrabber.Exception e) {
                // nothing to recover; the native objects are released as far as FFmpeg allows
            }
        }
    }

    private DecodedClip grabFrames(FFmpegFrameGrabber g, ClipShape shape, RequestScope scope) {
        List<byte[]> frames = new ArrayList<>();
        int width = -1;
        int height = -1;
        long firstTimestamp = Long.MIN_VALUE;
        try {
            while (true) {
                scope.check();
                Frame frame = g.grabImage();
                if (frame == null) {
                    break;
                }
                if (frame.image == null) {
                    continue;
                }
                if (width < 0) {
                    width = frame.imageWidth;
                    height = frame.imageHeight;
                    limits.checkSize(width, height);
                    if ((long) width * height > shape.pixels()) {
                        throw new ClipDecodeException(CORRUPT, "the frames are " + width + "x" + height
                                + ", larger than the " + shape.width() + "x" + shape.height() + " the container declares");
                    }
                } else if (frame.imageWidth != width || frame.imageHeight != height) {
                    throw new ClipDecodeException(UNSUPPORTED, "the frame size changes within the clip, from "
                            + width + "x" + height + " to " + frame.imageWidth + "x" + frame.imageHeight);
                }
                // Enforced on the decoded stream itself: an endless or lying stream stops here.
                limits.checkFrames(frames.size() + 1L);
                if (frames.size() >= shape.frames()) {
                    throw new ClipDecodeException(CORRUPT, "the video holds more frames than its container"
                            + " declares (" + shape.frames() + " with slack)");
                }
                if (firstTimestamp == Long.MIN_VALUE) {
                    firstTimestamp = frame.timestamp;
                }
                limits.checkDuration(frame.timestamp - firstTimestamp);
                frames.add(packedRgb(frame));
                framesDecoded.incrementAndGet();
            }
        } catch (FrameGrabber.Exception e) {
            throw new ClipDecodeException(CORRUPT, "the video cannot be decoded after " + frames.size()
                    + " frames (truncated or damaged data)", e);
        }
        if (frames.isEmpty()) {
            throw new ClipDecodeException(CORRUPT, "the video stream has no decodable frames");
        }
        double fps = shape.fps() > 0 ? shape.fps() : g.getFrameRate();
        return new DecodedClip(width, height, frames, fps, shape.source());
    }

    /** Copies the grabber's RGB24 frame (rows padded to imageStride) into a packed array. */
    private static byte[] packedRgb(Frame frame) {
        int rowBytes = frame.imageWidth * 3;
        byte[] rgb = new byte[rowBytes * frame.imageHeight];
        ByteBuffer src = ((ByteBuffer) frame.image[0]).duplicate();
        for (int y = 0; y < frame.imageHeight; y++) {
            src.position(y * frame.imageStride);
            src.get(rgb, y * rowBytes, rowBytes);
        }
        return rgb;
    }

    /** MP4/MOV box at offset 4, the EBML header of WebM/Matroska, or RIFF....AVI. */
    static boolean knownContainerSignature(byte[] b) {
        if (b.length >= 8) {
            String box = new String(b, 4, 4, StandardCharsets.ISO_8859_1);
            if (List.of("ftyp", "moov", "mdat", "free", "wide", "skip").contains(box)) {
                return true;
            }
        }
        if (b.length >= 4 && (b[0] & 0xff) == 0x1a && (b[1] & 0xff) == 0x45 && (b[2] & 0xff) == 0xdf
                && (b[3] & 0xff) == 0xa3) {
            return true;
        }
        return b.length >= 12 && new String(b, 0, 4, StandardCharsets.ISO_8859_1).equals("RIFF")
                && new String(b, 8, 4, StandardCharsets.ISO_8859_1).equals("AVI ");
    }

    /**
     * Measures a list of frame images from their headers, before any is decoded: every frame's size is
     * read (through the reader ImageIO.read uses) and checked, so one frame over a limit anywhere in the
     * list costs no decoding, and with at most {@code maxFrames} frames of one size the decoded clip is
     * bounded by {@code maxFrames x maxPixels} before it exists.
     */
    public ClipShape measureImages(List<byte[]> images) {
        if (images.isEmpty()) {
            throw new ClipDecodeException(CORRUPT, "empty upload: no frames");
        }
        limits.checkBytes(images.stream().mapToLong(b -> b.length).sum());
        limits.checkFrames(images.size());
        int width = -1;
        int height = -1;
        for (int i = 0; i < images.size(); i++) {
            int[] size = frameSize(images.get(i), i);
            limits.checkSize(size[0], size[1]);
            if (i == 0) {
                width = size[0];
                height = size[1];
            } else if (size[0] != width || size[1] != height) {
                throw new ClipDecodeException(UNSUPPORTED, "frame " + i + " is " + size[0] + "x" + size[1]
                        + " but frame 0 is " + width + "x" + height);
            }
        }
        return new ClipShape(width, height, images.size(), "images", 0, images.size());
    }

    /** Measures and decodes a list of frame images (tests, tools: no deadline). */
    public DecodedClip decodeImages(List<byte[]> images) {
        return ScopedTasks.unbounded(scope -> decodeImages(images, measureImages(images), scope));
    }

    /**
     * Decodes frame images measured by {@link #measureImages} in time order (any format ImageIO reads:
     * PNG, JPEG, BMP, GIF), taking the raw 8-bit samples: no colour management, grey replicated to R, G,
     * B, alpha dropped, palettes expanded, 16-bit samples reduced to their high byte. The scope is checked
     * before each frame.
     */
    public DecodedClip decodeImages(List<byte[]> images, ClipShape shape, RequestScope scope) {
        int width = shape.width();
        int height = shape.height();
        List<byte[]> frames = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            scope.check();
            BufferedImage image;
            try {
                image = ImageIO.read(new ByteArrayInputStream(images.get(i)));
            } catch (IOException e) {
                throw new ClipDecodeException(CORRUPT, "frame " + i + " is a damaged image"
                        + (e.getMessage() != null ? ": " + e.getMessage() : ""), e);
            } catch (RuntimeException e) {
                throw new ClipDecodeException(CORRUPT, "frame " + i + " is a damaged image", e);
            }
            if (image == null || image.getWidth() != width || image.getHeight() != height) {
                throw new ClipDecodeException(CORRUPT, "frame " + i + " does not decode to the " + width + "x" + height
                        + " image its header declares");
            }
            frames.add(rawRgb(image));
            framesDecoded.incrementAndGet();
        }
        return new DecodedClip(width, height, frames, 0, "images");
    }

    /** A frame image's width and height from its header, through the reader ImageIO.read would use. */
    private static int[] frameSize(byte[] bytes, int index) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ClipDecodeException(UNSUPPORTED, "frame " + index
                        + " is not an image in a supported format (PNG, JPEG, BMP, GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new int[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (ClipDecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ClipDecodeException(CORRUPT, "frame " + index + " is a damaged image: its header cannot be read", e);
        }
    }

    static byte[] rawRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] rgb = new byte[w * h * 3];
        if (image.getColorModel() instanceof IndexColorModel) {
            int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
            for (int p = 0; p < argb.length; p++) {
                rgb[3 * p] = (byte) (argb[p] >> 16);
                rgb[3 * p + 1] = (byte) (argb[p] >> 8);
                rgb[3 * p + 2] = (byte) argb[p];
            }
            return rgb;
        }
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        int[] samples = new int[w * h];
        for (int c = 0; c < 3; c++) {
            int band = bands >= 3 ? c : 0; // grey (+ alpha): the one colour band
            int shift = Math.max(0, raster.getSampleModel().getSampleSize(band) - 8);
            raster.getSamples(0, 0, w, h, band, samples);
            for (int p = 0; p < samples.length; p++) {
                rgb[3 * p + c] = (byte) (samples[p] >> shift);
            }
        }
        return rgb;
    }
}
