package org.visionserve.service.web;

import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.responses.ApiResponses;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.visionserve.service.classification.ClassificationResult;

/** The responses every classify operation documents. */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ApiResponses({
        @ApiResponse(responseCode = "200", description = "top-k classes per image with stage timings",
                content = @Content(mediaType = "application/json", schema = @Schema(implementation = ClassificationResult.class),
                        examples = @ExampleObject(value = Examples.CLASSIFIED))),
        @ApiResponse(responseCode = "400", description = "invalid parameter (top_k out of range, a malformed timeout or "
                + "Request-Timeout, no image)",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = Problem.class),
                        examples = @ExampleObject(value = Examples.BAD_REQUEST))),
        @ApiResponse(responseCode = "404", description = "no such model, or no such version of it (unknown-version)",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = Problem.class),
                        examples = @ExampleObject(value = Examples.NOT_FOUND))),
        @ApiResponse(responseCode = "409", description = "the model is not a classifier, or is disabled or unloaded (model-unloaded)",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = Problem.class),
                        examples = @ExampleObject(value = Examples.WRONG_TASK))),
        @ApiResponse(responseCode = "413", description = "body, pixel count, aspect ratio or image count over its limit, or "
                + "the working memory the images need over the admission budget (named with its config key)",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = Problem.class),
                        examples = @ExampleObject(value = Examples.TOO_LARGE))),
        @ApiResponse(responseCode = "415", description = "not an image format the service reads",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = Problem.class),
                        examples = @ExampleObject(value = Examples.UNSUPPORTED))),
        @ApiResponse(responseCode = "422", description = "corrupt or truncated image",
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = Problem.class),
                        examples = @ExampleObject(value = Examples.CORRUPT))),
        @ApiResponse(responseCode = "503", description = "the model's admission places and queue are full (overloaded: "
                + "retry after Retry-After seconds, from the observed service time), or the model is loading (Retry-After) "
                + "or failed", headers = @Header(name = "Retry-After", description = "seconds after which a retry is "
                + "likely admitted", schema = @Schema(type = "integer", example = "3")),
                content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = Problem.class),
                        examples = @ExampleObject(value = Examples.OVERLOADED)))})
@interface ClassifyResponses {
}
