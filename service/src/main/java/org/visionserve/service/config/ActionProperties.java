package org.visionserve.service.config;

import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.visionserve.service.action.ClipLimits;
import org.visionserve.service.action.FlowMethod;
import org.visionserve.service.action.Timeline;

/**
 * Everything under {@code visionserve.action.*}: the clip endpoint's feature models, flow method,
 * resource bounds and upload limits.
 *
 * @param rgbModel      id of the RGB-stream feature model the heads' features come from
 * @param flowModel     id of the flow-stream feature model
 * @param flow          optical flow used when the request names none ({@code tvl1} as the reference, or
 *                      {@code farneback}, ~20x faster, shifts the flow stream's predictions)
 * @param streamBatch   frames per ResNet run (1 to 25): smaller sub-batches bound ONNX Runtime's memory
 * @param concurrency   clips admitted into the pipeline (decode, flow, both streams, head) at once
 * @param queueCapacity clips waiting to be admitted; beyond that 503 {@code overloaded} with Retry-After
 * @param flowThreads   the optical-flow and tensor pool shared by all clips; 0 = available processors
 * @param preloadNatives load FFmpeg's and OpenCV's natives once the repository is loaded (if it serves a
 *                      head) instead of on the first clip
 * @param timeline      bounds on {@code segment_seconds} requests (a timeline of windows over the video)
 * @param settings      per head model id: overrides (its default flow method)
 */
@ConfigurationProperties("visionserve.action")
public record ActionProperties(@DefaultValue("resnet101_rgb") String rgbModel,
                               @DefaultValue("resnet101_flow") String flowModel,
                               @DefaultValue("tvl1") FlowMethod flow,
                               @DefaultValue("25") int streamBatch,
                               @DefaultValue("1") int concurrency,
                               @DefaultValue("2") int queueCapacity,
                               @DefaultValue("0") int flowThreads,
                               @DefaultValue("true") boolean preloadNatives,
                               @DefaultValue Limits limits,
                               @DefaultValue TimelineLimits timeline,
                               Map<String, HeadSettings> settings) {

    public static final String PREFIX = "visionserve.action.";

    public ActionProperties {
        settings = settings == null ? Map.of() : Map.copyOf(settings);
        if (streamBatch < 1 || streamBatch > 25) {
            throw new IllegalArgumentException(PREFIX + "stream-batch must be 1 to 25, got " + streamBatch);
        }
        if (concurrency < 1 || queueCapacity < 0) {
            throw new IllegalArgumentException(PREFIX + "concurrency must be >= 1 and queue-capacity >= 0");
        }
    }

    /** Upload bounds of one clip (video or frame list); see {@link ClipLimits}. */
    public record Limits(@DefaultValue("64MB") DataSize maxBytes, @DefaultValue("30s") Duration maxDuration,
                         @DefaultValue("750") int maxFrames, @DefaultValue("307200") long maxPixels,
                         @DefaultValue("10") int maxAspectRatio) {

        public ClipLimits clipLimits() {
            return new ClipLimits(maxBytes.toBytes(), maxDuration, maxFrames, maxPixels, maxAspectRatio);
        }
    }

    /**
     * {@code visionserve.action.timeline.*}: see {@link Timeline.Limits}. The clip limits above still
     * bound the video, so the longest timeline is the smaller of the two durations.
     */
    public record TimelineLimits(@DefaultValue("30s") Duration maxDuration, @DefaultValue("15") int maxWindows,
                                 @DefaultValue("2") double minSegmentSeconds) {

        public Timeline.Limits limits() {
            return new Timeline.Limits(maxDuration, maxWindows, minSegmentSeconds);
        }
    }

    /** Overrides for one head; a null field takes the default above. */
    public record HeadSettings(FlowMethod flow) {
    }

    /** The flow method of a head when the request names none. */
    public FlowMethod flowFor(String headId) {
        HeadSettings s = settings.get(headId);
        return s != null && s.flow() != null ? s.flow() : flow;
    }

    /** The configuration key of a clip limit, for 413 answers. */
    public static String limitKey(ClipLimits.Bound bound) {
        return PREFIX + switch (bound) {
            case BYTES -> "limits.max-bytes";
            case DURATION -> "limits.max-duration";
            case FRAMES -> "limits.max-frames";
            case PIXELS -> "limits.max-pixels";
            case ASPECT_RATIO -> "limits.max-aspect-ratio";
            case TIMELINE_DURATION -> "timeline.max-duration";
            case TIMELINE_WINDOWS -> "timeline.max-windows";
        };
    }

    /** The key of the shortest {@code segment_seconds}, for 400 answers. */
    public static final String MIN_SEGMENT_SECONDS_KEY = PREFIX + "timeline.min-segment-seconds";
}
