package org.visionserve.service.web;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * The schema of every error body, for the OpenAPI description only: the service answers Spring's
 * {@link org.springframework.http.ProblemDetail}, whose extension members Jackson writes at the top level,
 * while its own schema would show them nested under a {@code properties} field that no body has.
 * Generated clients decode an error body into this type. It lists every extension member the service sets
 * rather than allowing any ({@code additionalProperties}), which generators would turn into a map type.
 */
@Schema(name = "Problem", description = "An RFC 9457 problem (application/problem+json). `code` names the kind of "
        + "problem; the other extension members appear with the problems they belong to.")
record Problem(
        @Schema(description = "URN of the kind of problem", example = "urn:visionserve:problem:unknown-model",
                requiredMode = Schema.RequiredMode.REQUIRED) String type,
        @Schema(description = "short summary of the kind of problem", example = "Unknown model",
                requiredMode = Schema.RequiredMode.REQUIRED) String title,
        @Schema(description = "the HTTP status", example = "404", requiredMode = Schema.RequiredMode.REQUIRED)
        int status,
        @Schema(description = "what went wrong with this request, and what to change",
                example = "no model 'resnet9000'; GET /v1/models lists the models served") String detail,
        @Schema(description = "the request path", example = "/v1/models/resnet9000") String instance,
        @Schema(description = "the kind of problem, the last part of `type`", example = "unknown-model",
                requiredMode = Schema.RequiredMode.REQUIRED) String code,
        @Schema(description = "invalid-parameter: the parameter or multipart part at fault", example = "top_k")
        String parameter,
        @Schema(description = "size limits (413): the limit exceeded", example = "40000000")
        Long limit,
        @Schema(description = "size limits (413): the configuration key of that limit",
                example = "visionserve.limits.max-image-pixels") String configKey,
        @Schema(description = "image problems: index of the image in the request, from 0", example = "0")
        Integer image,
        @Schema(description = "segmentation: the modality part at fault (fat, inn, opp, wat)", example = "wat")
        String part,
        @Schema(description = "invalid-volume: not-recognised, invalid-header, unsupported, size-mismatch or truncated",
                example = "size-mismatch") String reason,
        @Schema(description = "overloaded: the queue capacity that is full", example = "64")
        Integer queueCapacity,
        @Schema(description = "overloaded: the requests the pool admits at once", example = "10")
        Integer concurrency,
        @Schema(description = "overloaded: when a retry is likely admitted, as in the Retry-After header", example = "3")
        Long retryAfterSeconds,
        @Schema(description = "payload-too-large over the admission budget: the request's estimated working memory",
                example = "2147483648") Long estimatedBytes,
        @Schema(description = "deadline-exceeded: the deadline that applied, in seconds", example = "2.5")
        Double timeoutSeconds) {
}
