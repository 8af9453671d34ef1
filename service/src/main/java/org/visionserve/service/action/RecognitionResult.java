package org.visionserve.service.action;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.visionserve.service.pipeline.Prediction;

/**
 * What a clip recognition produced.
 *
 * @param model        the head model id the request named
 * @param head         its architecture ({@code ts_lstm}, {@code temporal_inception})
 * @param device       the device the head ran on
 * @param weights      {@code seeded} if any of the three models has seeded demo weights, else the head's source
 * @param models       the three models used, each with its device and weights provenance
 * @param clip         what was decoded
 * @param flow         the optical flow method used ({@code tvl1}, {@code farneback})
 * @param flowPairs    distinct frame pairs whose flow was computed
 * @param frameIndices the 25 sample points: 0-based RGB frame indices
 * @param flowStacks   0-based first frame of each point's 10-field flow stack (frames s .. s + 10)
 * @param predictions  the head's top-k: softmax of its logits
 * @param baseline     the two-stream baseline's top-k: softmax of the mean over frames and streams of the
 *                     ResNets' raw logits (spec section 8)
 * @param streams      each stream alone: softmax of its logits' mean over the frames
 * @param timings      milliseconds per stage (with a timeline, of the whole request: every window's included)
 * @param segments     with {@code segment_seconds} only: the timeline's windows in time order, each with
 *                     its own predictions; everything above is the whole video's answer as without it
 */
public record RecognitionResult(String model, String head, String device, String weights, ClipModels models,
                                ClipInfo clip, String flow, int flowPairs, int[] frameIndices, int[] flowStacks,
                                List<Prediction> predictions, List<Prediction> baseline, StreamScores streams,
                                ClipTimings timings,
                                @JsonInclude(JsonInclude.Include.NON_NULL) List<TimelineSegment> segments) {

    /**
     * One window of a timeline: frames {@code startFrame} (inclusive) to {@code endFrame} (exclusive),
     * from {@code startSeconds} to {@code endSeconds} (frame index / fps; a window ends where the next
     * starts, the last at the video's end), sampled at 25 points within it.
     *
     * @param frameIndices 0-based RGB frame indices in the whole video, all within the window
     * @param flowStacks   0-based first frame of each point's flow stack, in the whole video
     * @param flowPairs    distinct frame pairs the window's stacks use
     * @param predictions  the head's top-k for the window
     */
    public record TimelineSegment(double startSeconds, double endSeconds, int startFrame, int endFrame,
                                  int[] frameIndices, int[] flowStacks, int flowPairs, List<Prediction> predictions) {
    }

    /** A model of the pipeline: id, bound device, weights source ({@code seeded} or {@code checkpoint}). */
    public record ModelUse(String id, String device, String weights) {
    }

    public record ClipModels(ModelUse rgb, ModelUse flow, ModelUse head) {
    }

    /** @param source container/codec as FFmpeg names them, or {@code images} for a frame list */
    public record ClipInfo(String source, int width, int height, double fps, int frames) {
    }

    public record StreamScores(List<Prediction> rgb, List<Prediction> flow) {
    }

    /**
     * Milliseconds: {@code queue} waiting for a clip slot and the models' runners, {@code preprocess}
     * building the two streams' tensors, {@code total} from the request's arrival at the pipeline to
     * its result (the HTTP transfer excluded).
     */
    public record ClipTimings(double decode, double flow, double preprocess, double queue,
                          @JsonProperty("features_rgb") double featuresRgb,
                          @JsonProperty("features_flow") double featuresFlow, double head, double total) {
    }
}
