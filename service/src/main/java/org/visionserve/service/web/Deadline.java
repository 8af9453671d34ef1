package org.visionserve.service.web;

import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What every inference operation documents about its deadline ({@link RequestScopes}): the
 * {@code Request-Timeout} header and {@code timeout} parameter a client shortens it with, and the 504
 * it gets when the deadline passes.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Parameter(name = RequestScopes.HEADER, in = ParameterIn.HEADER, example = "2500ms",
        description = Deadline.ASKED + " Where both this header and the timeout parameter are given, the shorter applies.",
        schema = @Schema(type = "string"))
@Parameter(name = RequestScopes.PARAMETER, in = ParameterIn.QUERY, example = "500ms",
        description = Deadline.ASKED + " Where both this parameter and the Request-Timeout header are given, the shorter applies.",
        schema = @Schema(type = "string"))
@ApiResponse(responseCode = "504", description = "the request's deadline passed before its answer (its work was stopped)",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = Problem.class),
                examples = @ExampleObject(value = Examples.DEADLINE_EXCEEDED)))
@interface Deadline {

    String ASKED = "How long the client waits at most: seconds (e.g. 2.5) or a duration with its unit (500ms, 1m). "
            + "It can only shorten the operation's configured deadline (visionserve.deadlines.*); past it the work stops "
            + "and the answer is 504 deadline-exceeded. Anything else is 400 invalid-parameter.";
}
