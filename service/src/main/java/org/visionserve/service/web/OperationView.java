package org.visionserve.service.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import org.visionserve.service.operations.OperationState;
import tools.jackson.databind.JsonNode;

/** An asynchronous operation as {@code /v1/operations} shows it. */
@Schema(name = "Operation")
@JsonInclude(JsonInclude.Include.NON_NULL)
record OperationView(
        @Schema(description = "the operation's id, also in its Location") String id,
        @Schema(description = "recognize or segment") String kind,
        @Schema(description = "the model named in the submitted request") String model,
        @Schema(allowableValues = {"queued", "running", "succeeded", "failed", "cancelled"},
                description = "queued: waiting for admission; running: admitted (it holds its admission place)") String status,
        Progress progress,
        Instant createdAt,
        @Schema(description = "when it was admitted") Instant startedAt,
        Instant updatedAt,
        Instant finishedAt,
        @Schema(description = "when a finished operation and its result are forgotten (visionserve.operations.retention)")
        Instant expiresAt,
        @Schema(description = "succeeded: the JSON the synchronous call answers",
                oneOf = {org.visionserve.service.action.RecognitionResult.class,
                        org.visionserve.service.segmentation.SegmentationResult.class}) Object result,
        @Schema(description = "failed or cancelled: the problem the synchronous call would have answered",
                implementation = Problem.class) Object error,
        @Schema(description = "succeeded: the result, with the synchronous endpoint's content negotiation (segment: the "
                + "mask or the preview)") String resultUrl) {

    /** How far it is: the stage in its own units, and an estimate of the whole. */
    @Schema(name = "OperationProgress")
    record Progress(
            @Schema(description = "queue (admission, 0 of 1), flow (frame pairs), frames (the two streams' 50 inputs), "
                    + "windows (timeline windows) or slices", example = "flow") String stage,
            long completed, long total,
            @Schema(description = "the whole operation, 0 to 1 (an estimate)", example = "0.42") double fraction) {
    }

    static OperationView of(OperationState s, JsonNode result) {
        OperationState.Progress p = s.progress();
        return new OperationView(s.id(), s.kind(), s.model(), s.status(),
                new Progress(p.stage(), p.completed(), p.total(), p.fraction()), s.createdAt(), s.startedAt(),
                s.updatedAt(), s.finishedAt(), s.expiresAt(), result, s.error(),
                OperationState.SUCCEEDED.equals(s.status()) ? OperationsController.PATH + "/" + s.id() + "/result" : null);
    }
}
