package org.visionserve.service.web;

import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.responses.ApiResponses;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.http.ProblemDetail;
import org.visionserve.service.classification.ClassificationResult;

/** The responses every classify operation documents. */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ApiResponses({
        @ApiResponse(responseCode = "200", description = "top-k classes per image with stage timings",
                content = @Content(mediaType = "application/json", schema = @Schema(implementation = ClassificationResult.class),
                        examples = @ExampleObject(value = Examples.CLASSIFIED))),
        @ApiResponse(responseCode = "400", description = "invalid parameter (top_k out of range, no image)",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class),
                        examples = @ExampleObject(value = Examples.BAD_REQUEST))),
        @ApiResponse(responseCode = "404", description = "no such model",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class),
                        examples = @ExampleObject(value = Examples.NOT_FOUND))),
        @ApiResponse(responseCode = "409", description = "the model is not a classifier, or is disabled",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class),
                        examples = @ExampleObject(value = Examples.WRONG_TASK))),
        @ApiResponse(responseCode = "413", description = "body, pixel count or image count over its limit (named with its config key)",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class),
                        examples = @ExampleObject(value = Examples.TOO_LARGE))),
        @ApiResponse(responseCode = "415", description = "not an image format the service reads",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class),
                        examples = @ExampleObject(value = Examples.UNSUPPORTED))),
        @ApiResponse(responseCode = "422", description = "corrupt or truncated image",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class),
                        examples = @ExampleObject(value = Examples.CORRUPT))),
        @ApiResponse(responseCode = "503", description = "model queue full (Retry-After), or model loading / failed",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class),
                        examples = @ExampleObject(value = Examples.BUSY)))})
@interface ClassifyResponses {
}
