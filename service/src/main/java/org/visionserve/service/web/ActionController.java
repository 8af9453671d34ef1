package org.visionserve.service.web;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.SchemaProperty;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;
import org.visionserve.service.action.ActionRecognitionService;
import org.visionserve.service.action.FlowMethod;
import org.visionserve.service.action.OpticalFlow;
import org.visionserve.service.action.RecognitionResult;
import org.visionserve.service.action.Timeline;
import org.visionserve.service.classification.ClassificationService;
import org.visionserve.service.config.ActionProperties;
import org.visionserve.service.operations.Operations;
import org.visionserve.service.pipeline.InvalidParameterException;
import org.visionserve.service.runtime.RequestScope;

/** Action recognition on a video clip or a list of frames, with a head model (TS-LSTM, Temporal-Inception). */
@RestController
@RequestMapping("/v1/models")
@Tag(name = OpenApiConfig.TAG_ACTION)
public class ActionController {

    static final String MAX_CLIP_BYTES_KEY = ActionProperties.PREFIX + "limits.max-bytes";
    private static final String PROBLEM = MediaType.APPLICATION_PROBLEM_JSON_VALUE;
    private static final String DESCRIPTION = "Send a video (MP4, MOV, WebM or AVI; multipart part 'file' or the raw "
            + "body with a video/* or application/octet-stream type) or frame images in time order (repeated "
            + "multipart part 'frames'). The clip is sampled at 25 points; RGB frames and 10-field optical-flow "
            + "stacks go through the two ResNet-101 streams (visionserve.action.rgb-model, flow-model), their "
            + "[1,25,4096] features through the head named in the path. Returns the head's top_k UCF101 classes "
            + "(softmax of its logits), the two-stream baseline's and each stream's top_k, the frame indices used, "
            + "the flow method used and the time of each stage in milliseconds. TV-L1 flow costs ~0.25 s per "
            + "320x240 frame pair and core: a 10 s clip takes tens of seconds on a small CPU; farneback is ~20x "
            + "faster but shifts the flow stream's predictions. With segment_seconds the video is also split into "
            + "consecutive windows of that many seconds, each sampled at its own 25 points with its own predictions "
            + "(segments), the flow of each frame pair computed once for all of them.";
    private static final String SEGMENT_SECONDS = "a timeline: windows of this many seconds (a video only; at least "
            + "visionserve.action.timeline.min-segment-seconds, default 2; at most timeline.max-windows windows and "
            + "timeline.max-duration of video), each with its own 25-point sampling and predictions in 'segments'. "
            + "A last window shorter than one flow stack (11 frames) is merged into the one before it";

    private final ActionRecognitionService service;
    private final ClassificationService classifier;
    private final RequestScopes scopes;
    private final long maxClipBytes;

    private final OperationSubmitter async;
    private final java.time.Duration deadline;

    public ActionController(ActionRecognitionService service, ClassificationService classifier, RequestScopes scopes,
                            ActionProperties props, OperationSubmitter async,
                            org.visionserve.service.config.VisionServeProperties serviceProps) {
        this.async = async;
        this.deadline = serviceProps.deadlines().recognize();
        this.service = service;
        this.classifier = classifier;
        this.scopes = scopes;
        this.maxClipBytes = props.limits().maxBytes().toBytes();
    }

    @PostMapping(path = {"/{id}/recognize", "/{id}/versions/{version}/recognize"},
            consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "recognize", summary = "Recognise the action in a video clip or a list of frames",
            description = DESCRIPTION,
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = MediaType.MULTIPART_FORM_DATA_VALUE, schema = @Schema(type = "object"),
                            schemaProperties = {
                                    @SchemaProperty(name = "file", schema = @Schema(type = "string", format = "binary",
                                            description = "the video (MP4, MOV, WebM, AVI)")),
                                    @SchemaProperty(name = "frames", array = @io.swagger.v3.oas.annotations.media.ArraySchema(
                                            schema = @Schema(type = "string", format = "binary",
                                                    description = "frame images (PNG, JPEG, BMP, GIF) in time order")))}),
                    @Content(mediaType = "video/mp4", schema = @Schema(type = "string", format = "binary")),
                    @Content(mediaType = "video/webm", schema = @Schema(type = "string", format = "binary")),
                    @Content(mediaType = "video/quicktime", schema = @Schema(type = "string", format = "binary")),
                    @Content(mediaType = "video/x-msvideo", schema = @Schema(type = "string", format = "binary")),
                    @Content(mediaType = "application/octet-stream", schema = @Schema(type = "string", format = "binary"))}))
    @ApiResponse(responseCode = "200", description = "top-k actions of the head, the baseline and each stream",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = RecognitionResult.class),
                    examples = @ExampleObject(value = Examples.RECOGNIZED)))
    @ApiResponse(responseCode = "400", description = "invalid parameter (top_k, flow, segment_seconds) or no video / frames part",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.CLIP_BAD_FLOW)))
    @ApiResponse(responseCode = "404", description = "no such model, or no such version of it (unknown-version)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.CLIP_NOT_FOUND)))
    @ApiResponse(responseCode = "409", description = "the model is not an action-recognition head, or is disabled or unloaded (model-unloaded)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.CLIP_WRONG_TASK)))
    @ApiResponse(responseCode = "413", description = "bytes, duration, frames, frame size or aspect ratio over its "
            + "limit, or with segment_seconds the timeline's duration or windows over theirs (named with its config "
            + "key), read from the headers before decoding; or the clip's working memory over the admission budget",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.CLIP_TOO_LARGE)))
    @ApiResponse(responseCode = "415", description = "not a supported video container, or a frame that is no image",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.CLIP_UNSUPPORTED)))
    @ApiResponse(responseCode = "422", description = "corrupt, truncated or empty clip, or fewer than 11 frames",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.CLIP_TOO_SHORT)))
    @ApiResponse(responseCode = "503", description = "the clips' or a model's admission queue full (overloaded, "
            + "Retry-After), a model loading or failed, or a feature model missing",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.CLIP_BUSY)))
    @Deadline
    @RespondAsync
    public Object recognizeMultipart(
            @PathVariable @Parameter(description = "id of an action-recognition head model: ts_lstm_ucf101 or "
                    + "temporal_inception_ucf101 by default", example = "ts_lstm_ucf101") String id,
            @PathVariable(required = false) @Parameter(description = ModelController.VERSION_DOC, example = "1")
            Integer version,
            @RequestPart(name = "file", required = false) @Parameter(hidden = true) MultipartFile file,
            @RequestPart(name = "frames", required = false) @Parameter(hidden = true) List<MultipartFile> frames,
            @RequestParam(name = "flow", required = false) @Parameter(description = "optical flow: tvl1 or "
                    + "farneback (default: the model's visionserve.action setting)", example = "farneback") String flow,
            @RequestParam(name = "top_k", required = false) @Parameter(description = "classes to return (default 5)",
                    example = "5") Integer topK,
            @RequestParam(name = Timeline.PARAMETER, required = false) @Parameter(description = SEGMENT_SECONDS,
                    example = "10", schema = @Schema(type = "number", format = "double")) String segmentSeconds,
            @Parameter(hidden = true) HttpServletRequest request) throws Exception {
        int k = classifier.topK(topK);
        FlowMethod method = service.flowMethod(id, flow);
        boolean hasFrames = frames != null && !frames.isEmpty();
        if ((file == null) == !hasFrames) {
            throw new InvalidParameterException(file == null ? "file" : "frames",
                    "send either the video as part 'file' or the frame images as parts 'frames', not "
                            + (file == null ? "neither" : "both"));
        }
        if (file != null) {
            if (file.getSize() > maxClipBytes) {
                throw tooLarge(file.getSize());
            }
            byte[] video = file.getBytes();
            return recognize(request, id, segmentSeconds != null,
                    scope -> service.recognizeVideo(id, version, video, method, k, segmentSeconds, scope));
        }
        if (segmentSeconds != null) {
            throw new InvalidParameterException(Timeline.PARAMETER, Timeline.PARAMETER + " needs a video with a"
                    + " frame rate; frame images have none");
        }
        List<byte[]> images = new ArrayList<>(frames.size());
        for (MultipartFile f : frames) {
            images.add(f.getBytes());
        }
        return recognize(request, id, false, scope -> service.recognizeFrames(id, version, images, method, k, scope));
    }

    @PostMapping(path = {"/{id}/recognize", "/{id}/versions/{version}/recognize"},
            consumes = {"video/*", MediaType.APPLICATION_OCTET_STREAM_VALUE},
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(hidden = true) // documented with the multipart variant: one operation, several body types
    public Object recognizeRaw(
            @PathVariable String id,
            @PathVariable(required = false) Integer version,
            @RequestParam(name = "flow", required = false) String flow,
            @RequestParam(name = "top_k", required = false) Integer topK,
            @RequestParam(name = Timeline.PARAMETER, required = false) String segmentSeconds,
            @Parameter(hidden = true) HttpServletRequest request) throws Exception {
        int k = classifier.topK(topK);
        FlowMethod method = service.flowMethod(id, flow);
        byte[] video = readBounded(request);
        return recognize(request, id, segmentSeconds != null,
                scope -> service.recognizeVideo(id, version, video, method, k, segmentSeconds, scope));
    }

    /** What the request's work may throw. */
    @FunctionalInterface
    private interface Recognition {
        RecognitionResult run(RequestScope scope) throws Exception;
    }

    /**
     * How much of a clip's work each progress stage is, for the operation's overall fraction: the flow
     * and the two streams for the whole clip, then (with a timeline) the windows, each running the two
     * streams again on the pairs already computed.
     */
    private static final List<Operations.Span> CLIP = List.of(new Operations.Span(OpticalFlow.PROGRESS_STAGE, 0, 0.7),
            new Operations.Span(ActionRecognitionService.FRAMES_STAGE, 0.7, 0.98));
    private static final List<Operations.Span> TIMELINE = List.of(
            new Operations.Span(OpticalFlow.PROGRESS_STAGE, 0, 0.4),
            new Operations.Span(ActionRecognitionService.FRAMES_STAGE, 0.4, 0.5),
            new Operations.Span(Timeline.PROGRESS_STAGE, 0.5, 1.0));

    /** The recognition now, or as an operation with {@code Prefer: respond-async} (202). */
    private Object recognize(HttpServletRequest request, String id, boolean timeline, Recognition work)
            throws Exception {
        if (OperationSubmitter.wanted(request)) {
            return async.submit(request, "recognize", id, deadline, timeline ? TIMELINE : CLIP,
                    scope -> new Operations.Result(work.run(scope), List.of()));
        }
        try (RequestScope scope = scopes.recognize(request)) {
            return work.run(scope);
        }
    }

    /** Reads the raw body, refusing it from Content-Length or once it passes the limit, never buffering more. */
    private byte[] readBounded(HttpServletRequest request) throws IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxClipBytes) {
            throw tooLarge(declared);
        }
        try (InputStream in = request.getInputStream()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxClipBytes + 1));
            if (body.length > maxClipBytes) {
                throw tooLarge(-1);
            }
            return body;
        }
    }

    private PayloadTooLargeException tooLarge(long size) {
        return new PayloadTooLargeException("video " + (size >= 0 ? "of " + size + " bytes " : "")
                + "exceeds the limit of " + maxClipBytes + " bytes (" + MAX_CLIP_BYTES_KEY + ")",
                maxClipBytes, MAX_CLIP_BYTES_KEY);
    }
}
