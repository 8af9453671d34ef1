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
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * Turns an uploaded clip (MP4, MOV, WebM/Matroska or AVI bytes, decoded by FFmpeg through JavaCV) or
 * a list of frame images into {@link DecodedClip} RGB frames, within {@link ClipLimits}. Thread-safe:
 * every call opens its own grabber and frees its native memory before returning.
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

    /** Decodes a whole video file held in memory. */
    public DecodedClip decode(byte[] video) {
        if (video.length == 0) {
            throw new ClipDecodeException(CORRUPT, "empty upload: 0 bytes");
        }
        limits.checkBytes(video.length);
        boolean looksLikeVideo = knownContainerSignature(video);
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(new ByteArrayInputStream(video), video.length);
        try {
            grabber.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
            grabber.setVideoOption("threads", Integer.toString(decoderThreads));
            try {
                grabber.start();
            } catch (FrameGrabber.Exception e) {
                // JavaCV's message names its input object (java.io.ByteArrayInputStream@...): not for clients.
                throw looksLikeVideo
                        ? new ClipDecodeException(CORRUPT, "the video container cannot be read (truncated or damaged)", e)
                        : new ClipDecodeException(UNSUPPORTED,
                                "not a video: expected an MP4, MOV, WebM or AVI file", e);
            }
            String format = grabber.getFormat();
            if (format == null || CONTAINERS.stream().noneMatch(c -> List.of(format.split(",")).contains(c))) {
                throw new ClipDecodeException(UNSUPPORTED, "container '" + format
                        + "' is not supported: expected an MP4, MOV, WebM or AVI file");
            }
            if (!grabber.hasVideo() || grabber.getImageWidth() <= 0 || grabber.getImageHeight() <= 0) {
                throw new ClipDecodeException(UNSUPPORTED, "the " + format + " file has no video stream");
            }
            checkMetadata(grabber);
            return new DecodedClip(grabber.getImageWidth(), grabber.getImageHeight(), grabFrames(grabber),
                    grabber.getFrameRate(), format + "/" + grabber.getVideoCodecName());
        } finally {
            try {
                grabber.close(); // stop + release: frees the codec, format context, scaler and frame buffers
            } catch (FrameGrabber.Exception e) {
                // nothing to recover; the native objects are released as far as FFmpeg allows
            }
        }
    }

    /** Limits the container declares, before any frame is decoded; one frame of slack for rounding. */
    private void checkMetadata(FFmpegFrameGrabber g) {
        limits.checkSize(g.getImageWidth(), g.getImageHeight());
        double fps = g.getFrameRate();
        long frameMicros = fps > 0 ? (long) (1e6 / fps) : 0;
        if (g.getLengthInTime() > 0) {
            limits.checkDuration(g.getLengthInTime() - frameMicros);
        }
        if (g.getLengthInVideoFrames() > 0) {
            limits.checkFrames(g.getLengthInVideoFrames() - 1L);
        }
    }

    private List<byte[]> grabFrames(FFmpegFrameGrabber g) {
        int width = g.getImageWidth();
        int height = g.getImageHeight();
        List<byte[]> frames = new ArrayList<>();
        long firstTimestamp = Long.MIN_VALUE;
        try {
            Frame frame;
            while ((frame = g.grabImage()) != null) {
                if (frame.image == null) {
                    continue;
                }
                if (frame.imageWidth != width || frame.imageHeight != height) {
                    throw new ClipDecodeException(UNSUPPORTED, "the frame size changes within the clip, from "
                            + width + "x" + height + " to " + frame.imageWidth + "x" + frame.imageHeight);
                }
                // Enforced on the decoded stream itself: an endless or lying stream stops here.
                limits.checkFrames(frames.size() + 1L);
                if (firstTimestamp == Long.MIN_VALUE) {
                    firstTimestamp = frame.timestamp;
                }
                limits.checkDuration(frame.timestamp - firstTimestamp);
                frames.add(packedRgb(frame));
            }
        } catch (FrameGrabber.Exception e) {
            throw new ClipDecodeException(CORRUPT, "the video cannot be decoded after " + frames.size()
                    + " frames (truncated or damaged data)", e);
        }
        if (frames.isEmpty()) {
            throw new ClipDecodeException(CORRUPT, "the video stream has no decodable frames");
        }
        return frames;
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
     * Decodes a list of frame images in time order (any format ImageIO reads: PNG, JPEG, BMP, GIF),
     * taking the raw 8-bit samples: no colour management, grey replicated to R, G, B, alpha dropped,
     * palettes expanded, 16-bit samples reduced to their high byte.
     *
     * <p>Every frame's size is read from its header and checked before any frame is decoded: one frame
     * over {@code maxPixels} anywhere in the list costs no decoding, and with at most {@code maxFrames}
     * frames of one size the decoded clip is bounded by {@code maxFrames x maxPixels} before it exists.
     */
    public DecodedClip decodeImages(List<byte[]> images) {
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
        List<byte[]> frames = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
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
