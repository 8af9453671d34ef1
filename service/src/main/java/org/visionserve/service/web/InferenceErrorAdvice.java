package org.visionserve.service.web;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponse;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.visionserve.service.classification.ImageRejectedException;
import org.visionserve.service.inference.InferenceError;
import org.visionserve.service.inference.InvalidInferenceRequestException;
import org.visionserve.service.inference.TensorTooLargeException;
import org.visionserve.service.inference.UnknownVersionException;
import org.visionserve.service.metrics.ServiceMetrics;
import org.visionserve.service.pipeline.InvalidParameterException;
import org.visionserve.service.runtime.CostOverBudgetException;
import org.visionserve.service.runtime.InferenceException;
import org.visionserve.service.runtime.ModelUnavailableException;
import org.visionserve.service.runtime.OverloadedException;
import org.visionserve.service.runtime.RequestCancelledException;
import org.visionserve.service.runtime.UnknownModelException;

/**
 * Errors of the {@code /v2} endpoints as the Open Inference Protocol has them: {@code {"error": "..."}}
 * with the status {@link InferenceError} gives (the same classes gRPC answers), not problem+json.
 * Outcomes are marked for the request metrics as {@link ProblemHandler} marks them.
 */
@RestControllerAdvice(assignableTypes = InferenceProtocolController.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
public class InferenceErrorAdvice {

    private static final Logger log = LoggerFactory.getLogger(InferenceErrorAdvice.class);

    private final ServiceMetrics metrics;

    public InferenceErrorAdvice(ServiceMetrics metrics) {
        this.metrics = metrics;
    }

    @ExceptionHandler({InvalidInferenceRequestException.class, InvalidParameterException.class,
            ImageRejectedException.class, UnknownModelException.class, UnknownVersionException.class,
            CostOverBudgetException.class, TensorTooLargeException.class, OverloadedException.class,
            ModelUnavailableException.class, RequestCancelledException.class, InferenceException.class})
    ResponseEntity<Map<String, String>> protocolError(RuntimeException e, HttpServletRequest request,
                                                      HttpServletResponse response) {
        InferenceError error = InferenceError.of(e);
        switch (error.kind()) {
            case CANCELLED -> {
                metrics.countClientAbort("processing");
                response.setStatus(400); // counted as a client error; nobody reads it
                return null;
            }
            case DEADLINE_EXCEEDED -> request.setAttribute(RequestMetricsFilter.OUTCOME_ATTRIBUTE, "timeout");
            case INTERNAL -> log.warn("inference request on {} failed", request.getRequestURI(), e);
            default -> {
                if (e instanceof OverloadedException) {
                    request.setAttribute(RequestMetricsFilter.OUTCOME_ATTRIBUTE, "rejected");
                }
            }
        }
        ResponseEntity.BodyBuilder b = ResponseEntity.status(error.kind().httpStatus).contentType(MediaType.APPLICATION_JSON);
        if (error.retryAfterSeconds() > 0) {
            b.header(HttpHeaders.RETRY_AFTER, Long.toString(error.retryAfterSeconds()));
        }
        return b.body(Map.of("error", error.message()));
    }

    /** Anything else (a decode stopped by something other than the request's end, a bug): 500, logged, no details. */
    @ExceptionHandler(RuntimeException.class)
    ResponseEntity<Map<String, String>> unexpected(RuntimeException e, HttpServletRequest request) {
        log.error("unexpected error on {}", request.getRequestURI(), e);
        return ResponseEntity.status(500).contentType(MediaType.APPLICATION_JSON).body(Map.of("error", "internal error"));
    }

    /** Spring MVC's own refusals (a missing header, a bad path variable): their status, the protocol's body. */
    @ExceptionHandler({ErrorResponseException.class, ServletException.class})
    ResponseEntity<Map<String, String>> framework(Exception e) {
        if (!(e instanceof ErrorResponse r)) {
            log.warn("inference protocol request failed", e);
            return ResponseEntity.status(500).contentType(MediaType.APPLICATION_JSON).body(Map.of("error", "internal error"));
        }
        String detail = r.getBody().getDetail();
        return ResponseEntity.status(r.getStatusCode()).contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("error", detail != null ? Problems.clean(detail) : "bad request"));
    }
}
