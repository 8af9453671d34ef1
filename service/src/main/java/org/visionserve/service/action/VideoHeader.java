package org.visionserve.service.action;

import static org.bytedeco.ffmpeg.global.avformat.AVSEEK_FORCE;
import static org.bytedeco.ffmpeg.global.avformat.AVSEEK_SIZE;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avformat.avio_alloc_context;
import static org.bytedeco.ffmpeg.global.avformat.avio_context_free;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_TIME_BASE;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;
import static org.bytedeco.ffmpeg.global.avutil.av_q2d;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avformat.Read_packet_Pointer_BytePointer_int;
import org.bytedeco.ffmpeg.avformat.Seek_Pointer_long_int;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * What a video container declares about its first video stream, read by FFmpeg's demuxer alone
 * ({@code avformat_open_input}: no stream-info probing, no frame decoded), so a clip can be measured
 * and refused before any of its frames exists: a small file declaring 20000x20000 costs nothing.
 *
 * @param format         FFmpeg's demuxer names, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
 * @param codec          the stream's codec name, e.g. "h264"
 * @param width          declared frame width (0 if none)
 * @param height         declared frame height (0 if none)
 * @param frames         declared frame count, or -1 if the container gives none
 * @param durationMicros declared duration of the stream (or the file), or -1 if none
 * @param fps            declared frame rate, or 0 if none
 */
record VideoHeader(String format, String codec, int width, int height, long frames, long durationMicros,
                   double fps) {

    private static final int IO_BUFFER = 1 << 16;

    /** The bytes being read, by the address of their format context (FFmpeg's opaque pointer). */
    private static final Map<Long, Source> SOURCES = new ConcurrentHashMap<>();

    private static final class Source {
        final byte[] bytes;
        int position;

        Source(byte[] bytes) {
            this.bytes = bytes;
        }
    }

    // One native thunk each for all reads (creating a callback per call would leak native code stubs).
    private static final Read_packet_Pointer_BytePointer_int READ = new Read_packet_Pointer_BytePointer_int() {
        @Override
        public int call(Pointer opaque, BytePointer buf, int size) {
            Source s = SOURCES.get(opaque.address());
            int n = s == null ? 0 : Math.min(size, s.bytes.length - s.position);
            if (n <= 0) {
                return AVERROR_EOF;
            }
            buf.position(0).put(s.bytes, s.position, n);
            s.position += n;
            return n;
        }
    };

    private static final Seek_Pointer_long_int SEEK = new Seek_Pointer_long_int() {
        @Override
        public long call(Pointer opaque, long offset, int whence) {
            Source s = SOURCES.get(opaque.address());
            if (s == null) {
                return -1;
            }
            if ((whence & AVSEEK_SIZE) != 0) {
                return s.bytes.length;
            }
            long base = switch (whence & ~AVSEEK_FORCE) {
                case 0 -> 0; // SEEK_SET
                case 1 -> s.position; // SEEK_CUR
                case 2 -> s.bytes.length; // SEEK_END
                default -> -1;
            };
            long to = base + offset;
            if (base < 0 || to < 0 || to > s.bytes.length) {
                return -1;
            }
            s.position = (int) to;
            return to;
        }
    };

    /**
     * Opens the container in memory and reads its header.
     *
     * @param decoderPixels what a decoder may allocate a frame for, should the size have to be found by
     *                      probing the streams ({@link #decoderPixels})
     * @return null if FFmpeg cannot open it (not a container it knows, or damaged before the header ends)
     */
    static VideoHeader read(byte[] video, long decoderPixels) {
        AVFormatContext oc = avformat_alloc_context();
        long key = oc.address();
        BytePointer buffer = new BytePointer(av_malloc(IO_BUFFER));
        AVIOContext io = avio_alloc_context(buffer, IO_BUFFER, 0, oc, READ, null, SEEK);
        oc.pb(io);
        SOURCES.put(key, new Source(video));
        try {
            // A user-supplied context is freed by FFmpeg when opening fails.
            if (avformat_open_input(oc, (String) null, null, null) < 0) {
                return null;
            }
            try {
                return of(oc, decoderPixels);
            } finally {
                avformat_close_input(oc); // custom I/O: the AVIOContext is ours to free
            }
        } finally {
            SOURCES.remove(key);
            av_free(io.buffer()); // FFmpeg may have replaced the buffer it was given
            io.buffer(null);
            avio_context_free(io);
        }
    }

    private static VideoHeader of(AVFormatContext oc, long decoderPixels) {
        String format = oc.iformat().name().getString();
        for (int i = 0; i < oc.nb_streams(); i++) {
            AVStream st = oc.streams(i);
            AVCodecParameters par = st.codecpar();
            if (par.codec_type() != AVMEDIA_TYPE_VIDEO) {
                continue;
            }
            if (par.width() <= 0 || par.height() <= 0) {
                probeStreams(oc, decoderPixels);
            }
            long duration = -1;
            if (st.duration() != AV_NOPTS_VALUE && st.duration() > 0 && valid(st.time_base())) {
                duration = (long) (st.duration() * av_q2d(st.time_base()) * 1e6);
            } else if (oc.duration() != AV_NOPTS_VALUE && oc.duration() > 0) {
                duration = oc.duration() * 1_000_000L / AV_TIME_BASE;
            }
            AVRational rate = valid(st.avg_frame_rate()) ? st.avg_frame_rate() : st.r_frame_rate();
            double fps = valid(rate) ? av_q2d(rate) : 0;
            BytePointer codec = avcodec.avcodec_get_name(par.codec_id());
            return new VideoHeader(format, codec == null ? "unknown" : codec.getString(), par.width(), par.height(),
                    st.nb_frames() > 0 ? st.nb_frames() : -1, duration, fps);
        }
        return new VideoHeader(format, null, 0, 0, -1, -1, 0);
    }

    /**
     * The frame size the streams' own headers give, when the container declares none (FFmpeg's MOV
     * demuxer leaves MPEG-4 Part 2's size to the VOL header in its extradata): FFmpeg's stream-info
     * probing, whose parsers read those headers; what it decodes to find the pixel format is held to
     * {@code maxPixels} by the decoders themselves.
     */
    private static void probeStreams(AVFormatContext oc, long maxPixels) {
        int n = oc.nb_streams();
        try (PointerPointer<AVDictionary> options = new PointerPointer<>(n)) {
            for (int i = 0; i < n; i++) {
                AVDictionary d = new AVDictionary(null);
                av_dict_set(d, "max_pixels", Long.toString(maxPixels), 0);
                av_dict_set(d, "threads", "1", 0);
                options.put(i, d);
            }
            avformat_find_stream_info(oc, options);
            for (int i = 0; i < n; i++) {
                av_dict_free(new AVDictionary(options.get(i))); // what the decoders left unused
            }
        }
    }

    /**
     * FFmpeg's {@code max_pixels} for decoding frames of {@code pixels}: a safety net for a codec header
     * declaring more than its container, generous because decoders check their padded work areas
     * against it (MPEG-4 Part 2: twice each side plus edges), far below what could hurt.
     */
    static long decoderPixels(long pixels) {
        return 16 * pixels + (1 << 22);
    }

    private static boolean valid(AVRational r) {
        return r != null && r.num() > 0 && r.den() > 0;
    }

    /** Whether the container has a video stream with a declared size. */
    boolean hasVideo() {
        return codec != null && width > 0 && height > 0;
    }

    /** The frames the stream holds as far as the header tells: its count, else duration x rate; -1 if unknown. */
    long expectedFrames() {
        if (frames > 0) {
            return frames;
        }
        if (durationMicros > 0 && fps > 0) {
            return (long) Math.ceil(durationMicros * fps / 1e6);
        }
        return -1;
    }
}
