package org.visionserve.service.web;

import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** What an endpoint that may run as an operation documents ({@link OperationSubmitter}): the Prefer header and the 202. */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Parameter(name = OperationSubmitter.PREFER, in = ParameterIn.HEADER, example = OperationSubmitter.RESPOND_ASYNC,
        description = "respond-async (RFC 7240): run as an operation. Once the input is received and validated (a bad "
                + "input is still answered at once, as without it) the answer is 202 with the operation and its "
                + "Location (/v1/operations/{id}); its result is this endpoint's JSON answer.",
        schema = @Schema(type = "string"))
@ApiResponse(responseCode = "202", description = "accepted as an operation (Prefer: respond-async)",
        headers = {@Header(name = "Location", description = "the operation: /v1/operations/{id}",
                schema = @Schema(type = "string")),
                @Header(name = "Preference-Applied", description = "respond-async", schema = @Schema(type = "string"))},
        content = @Content(mediaType = "application/json", schema = @Schema(implementation = OperationView.class),
                examples = @io.swagger.v3.oas.annotations.media.ExampleObject(value = Examples.OPERATION)))
@interface RespondAsync {
}
