package org.visionserve.service.web;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import org.apache.catalina.connector.ClientAbortException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.visionserve.service.action.ClipDecodeException;
import org.visionserve.service.action.FeatureModelException;
import org.visionserve.service.classification.ImageRejectedException;
import org.visionserve.service.classification.TooManyImagesException;
import org.visionserve.service.config.ActionProperties;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.image.ImageDecodeException;
import org.visionserve.service.metrics.ServiceMetrics;
import org.visionserve.service.pipeline.InvalidParameterException;
import org.visionserve.service.pipeline.WrongTaskException;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.CostOverBudgetException;
import org.visionserve.service.runtime.InferenceException;
import org.visionserve.service.runtime.ModelUnavailableException;
import org.visionserve.service.runtime.OverloadedException;
import org.visionserve.service.runtime.RequestCancelledException;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.runtime.UnknownModelException;
import org.visionserve.service.segmentation.ModalityMismatchException;
import org.visionserve.service.segmentation.SegmentationService;
import org.visionserve.service.segmentation.VolumeFormatException;
import org.visionserve.service.segmentation.VolumeLimits;
import org.visionserve.service.segmentation.VolumeRejectedException;
import org.visionserve.service.security.AuthFailure;
import org.visionserve.service.security.AuthenticationFailedException;
import org.visionserve.service.security.RateLimitHeaders;
import org.visionserve.service.security.RateLimitedException;

/**
 * Every error as RFC 9457 {@code application/problem+json}: a {@code type} URN and a short {@code code}
 * per kind of problem, a {@code detail} saying what to change, and for size limits the {@code limit}
 * with its {@code configKey}. Spring MVC's own errors (wrong content type, size limits of the
 * multipart parser, missing parts) go through the base class and get the same shape.
 */
@RestControllerAdvice
public class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    private final long maxRequestBytes;
    private final int maxBatchImages;
    private final int maxParts;
    private final long maxVolumeBytes;
    private final long maxVolumeVoxels;
    private final long maxSlicePixels;
    private final ServiceMetrics metrics;
    private final Duration uploadReadTimeout;

    public ProblemHandler(VisionServeProperties props, @Value("${server.tomcat.max-part-count:-1}") int maxParts,
                          ServiceMetrics metrics) {
        this.metrics = metrics;
        this.uploadReadTimeout = props.limits().uploadReadTimeout();
        this.maxRequestBytes = props.limits().maxRequestBytes().toBytes();
        this.maxBatchImages = props.limits().maxBatchImages();
        this.maxParts = maxParts;
        this.maxVolumeBytes = props.limits().maxVolumeBytes().toBytes();
        this.maxVolumeVoxels = props.limits().maxVolumeVoxels();
        this.maxSlicePixels = props.limits().maxSlicePixels();
    }

    @ExceptionHandler
    ResponseEntity<Object> unknownModel(UnknownModelException e, WebRequest req) {
        if (e.version() != null) {
            return respond(problem(HttpStatus.NOT_FOUND, "unknown-version", "Unknown model version", e.getMessage()),
                    req);
        }
        return respond(problem(HttpStatus.NOT_FOUND, "unknown-model", "Unknown model", e.getMessage()), req);
    }

    @ExceptionHandler
    ResponseEntity<Object> unavailable(ModelUnavailableException e, WebRequest req) {
        return switch (e.status()) {
            case DISABLED -> respond(problem(HttpStatus.CONFLICT, "model-disabled", "Model disabled", e.getMessage()), req);
            // an operator's decision, not a transient state: 409 like disabled, GET /v1/models/{id} shows it
            case UNLOADING, UNLOADED -> respond(problem(HttpStatus.CONFLICT, "model-unloaded", "Model not loaded",
                    e.getMessage()), req);
            case LOADING -> respond(problem(HttpStatus.SERVICE_UNAVAILABLE, "model-loading", "Model loading",
                    e.getMessage()), retryAfter(5), req);
            default -> respond(problem(HttpStatus.SERVICE_UNAVAILABLE, "model-failed", "Model failed to load",
                    e.getMessage()), req);
        };
    }

    /**
     * No valid credential (from the security filter chain): 401 with the RFC 6750 challenge, and for a bad
     * token its {@code invalid_token} error; the {@code reason} says which failure it was.
     */
    @ExceptionHandler
    ResponseEntity<Object> unauthenticated(AuthenticationFailedException e, WebRequest req) {
        ProblemDetail p = problem(HttpStatus.UNAUTHORIZED, "unauthenticated", "Unauthenticated", e.getMessage());
        p.setProperty("reason", e.reason().tag);
        HttpHeaders h = new HttpHeaders();
        boolean badToken = e.reason() != AuthFailure.MISSING && e.reason() != AuthFailure.MALFORMED;
        h.set(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"visionserve\""
                + (badToken ? ", error=\"invalid_token\"" : e.reason() == AuthFailure.MALFORMED ? ", error=\"invalid_request\"" : ""));
        return respond(p, h, req);
    }

    /** An authenticated caller without the role the endpoint needs. */
    @ExceptionHandler
    ResponseEntity<Object> forbidden(AccessDeniedException e, WebRequest req) {
        HttpHeaders h = new HttpHeaders();
        h.set(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"visionserve\", error=\"insufficient_scope\"");
        String who = req.getUserPrincipal() != null ? "caller '" + req.getUserPrincipal().getName() + "'" : "the caller";
        return respond(problem(HttpStatus.FORBIDDEN, "forbidden", "Forbidden", who
                + " lacks the role this endpoint needs (" + requiredRole(req) + ")"), h, req);
    }

    /** A caller over its token bucket: when to retry, and the bucket's policy and state. */
    @ExceptionHandler
    ResponseEntity<Object> rateLimited(RateLimitedException e, WebRequest req) {
        HttpHeaders h = new HttpHeaders();
        RateLimitHeaders.apply(e.decision(), h::set);
        ProblemDetail p = problem(HttpStatus.TOO_MANY_REQUESTS, "rate-limited", "Rate limit exceeded", e.getMessage());
        p.setProperty("retryAfterSeconds", e.decision().retryAfterSeconds());
        return respond(p, h, req);
    }

    private static String requiredRole(WebRequest req) {
        return req instanceof org.springframework.web.context.request.ServletWebRequest s
                && (s.getRequest().getRequestURI().startsWith("/v2/repository/")
                || s.getRequest().getRequestURI().startsWith("/actuator/")) ? "admin" : "infer";
    }

    @ExceptionHandler
    ResponseEntity<Object> wrongTask(WrongTaskException e, WebRequest req) {
        return respond(problem(HttpStatus.CONFLICT, "wrong-task", "Wrong task for the model", e.getMessage()), req);
    }

    @ExceptionHandler
    ResponseEntity<Object> invalidParameter(InvalidParameterException e, WebRequest req) {
        ProblemDetail p = problem(HttpStatus.BAD_REQUEST, "invalid-parameter", "Invalid parameter", e.getMessage());
        p.setProperty("parameter", e.parameter());
        return respond(p, req);
    }

    @ExceptionHandler
    ResponseEntity<Object> tooManyImages(TooManyImagesException e, WebRequest req) {
        return respond(tooLarge("too-many-images", "Too many images", e.getMessage(), e.limit(),
                TooManyImagesException.CONFIG_KEY), req);
    }

    @ExceptionHandler
    ResponseEntity<Object> payloadTooLarge(PayloadTooLargeException e, WebRequest req) {
        return respond(tooLarge("payload-too-large", "Payload too large", e.getMessage(), e.limit(), e.configKey()), req);
    }

    @ExceptionHandler
    ResponseEntity<Object> imageRejected(ImageRejectedException e, WebRequest req) {
        ImageDecodeException d = e.decodeError();
        String which = "image " + e.index() + (e.name() != null ? " (" + e.name() + ")" : "");
        ProblemDetail p = switch (d.kind()) {
            case UNSUPPORTED_MEDIA_TYPE -> problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
                    "Unsupported media type", which + ": " + d.getMessage());
            case CORRUPT -> problem(HttpStatus.UNPROCESSABLE_CONTENT, "corrupt-image", "Corrupt image",
                    which + " could not be decoded: " + d.getMessage());
            case TOO_LARGE -> tooLarge("payload-too-large", "Payload too large", which + ": " + d.getMessage(),
                    d.limit(), d.configKey());
        };
        p.setProperty("image", e.index());
        return respond(p, req);
    }

    /** Admission's one "busy": the request's pool and its queue are full; retry when a place is likely free. */
    @ExceptionHandler
    ResponseEntity<Object> overloaded(OverloadedException e, WebRequest req) {
        req.setAttribute(RequestMetricsFilter.OUTCOME_ATTRIBUTE, "rejected", RequestAttributes.SCOPE_REQUEST);
        ProblemDetail p = problem(HttpStatus.SERVICE_UNAVAILABLE, "overloaded", "At capacity", e.getMessage());
        p.setProperty("concurrency", e.limits().concurrency());
        p.setProperty("queueCapacity", e.limits().queueCapacity());
        p.setProperty("retryAfterSeconds", e.retryAfterSeconds());
        return respond(p, retryAfter(e.retryAfterSeconds()), req);
    }

    /** A request whose working memory alone exceeds the admission budget: it could never be admitted. */
    @ExceptionHandler
    ResponseEntity<Object> overBudget(CostOverBudgetException e, WebRequest req) {
        ProblemDetail p = tooLarge("payload-too-large", "Payload too large", e.getMessage(), e.budget(),
                Admission.MEMORY_BUDGET_KEY);
        p.setProperty("estimatedBytes", e.bytes());
        return respond(p, req);
    }

    /**
     * The request's work stopped: past its deadline it is answered 504; a client that went away is
     * counted as an abort and gets no answer (nobody reads it).
     */
    @ExceptionHandler
    ResponseEntity<Object> cancelled(RequestCancelledException e, WebRequest req) {
        if (e.reason() == RequestScope.Reason.CLIENT_GONE) {
            metrics.countClientAbort("processing");
            log.debug("client went away while its request was processed on {}", req.getDescription(false));
            if (req instanceof org.springframework.web.context.request.ServletWebRequest s && s.getResponse() != null
                    && !s.getResponse().isCommitted()) {
                s.getResponse().setStatus(HttpStatus.BAD_REQUEST.value()); // counted as a client error
            }
            return null;
        }
        if (e.reason() == RequestScope.Reason.CANCELLED) { // an operation's caller stopped it (its error)
            return respond(problem(HttpStatus.CONFLICT, "cancelled", "Cancelled", e.getMessage()), req);
        }
        req.setAttribute(RequestMetricsFilter.OUTCOME_ATTRIBUTE, "timeout", RequestAttributes.SCOPE_REQUEST);
        ProblemDetail p = problem(HttpStatus.GATEWAY_TIMEOUT, "deadline-exceeded", "Deadline exceeded",
                e.getMessage() + "; its work was stopped. Deadlines: visionserve.deadlines.*, or less with a "
                        + "Request-Timeout header or a timeout parameter (seconds)");
        p.setProperty("timeoutSeconds", e.timeout().toMillis() / 1000.0);
        return respond(p, req);
    }

    /** A clip that cannot be turned into frames: not a video, damaged, too short or over a clip limit. */
    @ExceptionHandler
    ResponseEntity<Object> clipRejected(ClipDecodeException e, WebRequest req) {
        ProblemDetail p = switch (e.kind()) {
            case UNSUPPORTED -> problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
                    "Unsupported media type", e.getMessage());
            case CORRUPT -> problem(HttpStatus.UNPROCESSABLE_CONTENT, "corrupt-clip", "Corrupt clip",
                    "the clip could not be decoded: " + e.getMessage());
            case TOO_SHORT -> problem(HttpStatus.UNPROCESSABLE_CONTENT, "clip-too-short", "Clip too short",
                    e.getMessage());
            case TOO_LARGE -> e.bound() == null
                    ? problem(HttpStatus.CONTENT_TOO_LARGE, "payload-too-large", "Payload too large", e.getMessage())
                    : tooLarge("payload-too-large", "Payload too large", e.getMessage() + " ("
                            + ActionProperties.limitKey(e.bound()) + ")", e.limit(), ActionProperties.limitKey(e.bound()));
        };
        return respond(p, req);
    }

    /**
     * An uploaded modality the volume pipeline cannot use: 413 for a size limit (with its config key), else
     * 400 {@code invalid-volume} with a {@code reason} (not-recognised, invalid-header, unsupported,
     * size-mismatch, truncated) and the {@code part}.
     */
    @ExceptionHandler
    ResponseEntity<Object> volumeRejected(VolumeRejectedException e, WebRequest req) {
        ProblemDetail p;
        if (e.kind() == VolumeFormatException.Kind.TOO_LARGE) {
            String key = e.configKey();
            p = tooLarge("payload-too-large", "Payload too large", e.getMessage(), volumeLimit(key), key);
        } else {
            p = problem(HttpStatus.BAD_REQUEST, "invalid-volume", "Invalid volume", e.getMessage());
            p.setProperty("reason", e.kind().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        if (e.modality() != null) {
            p.setProperty("part", e.modality().key);
        }
        return respond(p, req);
    }

    @ExceptionHandler
    ResponseEntity<Object> featureModel(FeatureModelException e, WebRequest req) {
        log.warn("clip request refused: {}", e.getMessage());
        return respond(problem(HttpStatus.SERVICE_UNAVAILABLE, "feature-model-unavailable",
                "Feature model unavailable", e.getMessage()), req);
    }

    @ExceptionHandler
    ResponseEntity<Object> modalityMismatch(ModalityMismatchException e, WebRequest req) {
        ProblemDetail p = problem(HttpStatus.UNPROCESSABLE_CONTENT, "modality-mismatch", "Modalities do not match",
                e.getMessage());
        p.setProperty("part", e.modality().key);
        return respond(p, req);
    }

    private long volumeLimit(String key) {
        return switch (key) {
            case VolumeLimits.MAX_BYTES_KEY -> maxVolumeBytes;
            case SegmentationService.MAX_SLICE_PIXELS_KEY -> maxSlicePixels;
            default -> maxVolumeVoxels;
        };
    }

    /** A multipart body the container cannot parse (size limits are handled below). */
    @ExceptionHandler
    ResponseEntity<Object> badMultipart(MultipartException e, WebRequest req) {
        if (isUploadTimeout(e) || isClientAbort(e)) {
            // Tomcat parses multipart bodies from its own stream: mark the failure as the upload's
            req.setAttribute(UploadRateFilter.UPLOAD_FAILED_ATTRIBUTE, true, RequestAttributes.SCOPE_REQUEST);
            return connectionFailure(new IOException(e.getMessage(), e), req);
        }
        if (e instanceof MaxUploadSizeExceededException m) {
            return handleMaxUploadSizeExceededException(m, new HttpHeaders(), HttpStatus.CONTENT_TOO_LARGE, req);
        }
        String why = e.getMostSpecificCause().getMessage();
        return respond(problem(HttpStatus.BAD_REQUEST, "bad-multipart", "Malformed multipart request",
                "the multipart body could not be parsed" + (why != null ? ": " + why : "")), req);
    }

    @ExceptionHandler
    ResponseEntity<Object> inferenceFailed(InferenceException e, WebRequest req) {
        log.error("inference failed", e);
        // ONNX Runtime's message speaks of graph nodes and status codes: the log has it.
        return respond(problem(HttpStatus.INTERNAL_SERVER_ERROR, "inference-failed", "Inference failed",
                "inference on model '" + e.modelId() + "' failed on the server; the log has the details"), req);
    }

    /** A part the endpoint takes once, sent several times: which one counts is not for Spring to guess. */
    @ExceptionHandler
    ResponseEntity<Object> duplicatePart(DuplicatePartException e, WebRequest req) {
        ProblemDetail p = problem(HttpStatus.BAD_REQUEST, "duplicate-part", "Duplicate part", e.getMessage());
        p.setProperty("part", e.part());
        return respond(p, req);
    }

    /**
     * Reading the body or writing the answer failed: a slow or stalled upload is answered 408 (when the
     * answer can still be written); a client that went away is no server error, so it is counted and
     * logged at DEBUG, without an answer nobody would read.
     */
    @ExceptionHandler
    ResponseEntity<Object> connectionFailure(IOException e, WebRequest req) {
        if (isUploadTimeout(e)) {
            metrics.countUploadTimeout();
            log.debug("upload cut on {}: {}", req.getDescription(false), rootMessage(e));
            return respond(problem(HttpStatus.REQUEST_TIMEOUT, "request-timeout", "Request timeout",
                    "the request body arrived too slowly: " + rootMessage(e)
                            + "; send it at a sustained rate or with no gap longer than "
                            + uploadReadTimeout.toSeconds() + " s (visionserve.limits.upload-read-timeout)"), req);
        }
        if (isClientAbort(e)) {
            String stage = req.getAttribute(UploadRateFilter.UPLOAD_FAILED_ATTRIBUTE, RequestAttributes.SCOPE_REQUEST)
                    != null ? "upload" : "response";
            metrics.countClientAbort(stage);
            log.debug("client went away during the {} on {}: {}", stage, req.getDescription(false), rootMessage(e));
            if (req instanceof org.springframework.web.context.request.ServletWebRequest s && s.getResponse() != null
                    && !s.getResponse().isCommitted()) {
                // nobody reads it, but RequestMetricsFilter counts the request from it: a client error, not ok
                s.getResponse().setStatus(HttpStatus.BAD_REQUEST.value());
            }
            return null;
        }
        return unexpected(e, req);
    }

    static boolean isUploadTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UploadRateFilter.UploadTooSlowException || t instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** Tomcat's ClientAbortException (also on an early end of the body), or the socket's own words. */
    static boolean isClientAbort(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String msg = t.getMessage();
            if (t instanceof ClientAbortException || t instanceof EOFException
                    || msg != null && (msg.contains("Broken pipe") || msg.contains("Connection reset"))) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }

    @ExceptionHandler
    ResponseEntity<Object> unexpected(Exception e, WebRequest req) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        log.error("unexpected error on {}", req.getDescription(false), e);
        return respond(problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                "the request failed on the server; the log has the details"), req);
    }

    /**
     * The servlet container's multipart limits (sizes derived from ours in application.yaml, and
     * the part count); Spring reports all of them as this one exception, so the cause tells which.
     */
    @Override
    protected ResponseEntity<Object> handleMaxUploadSizeExceededException(MaxUploadSizeExceededException e,
            HttpHeaders headers, HttpStatusCode status, WebRequest req) {
        String cause = e.getMostSpecificCause().getClass().getSimpleName();
        ProblemDetail p;
        boolean clip = req instanceof org.springframework.web.context.request.ServletWebRequest s
                && s.getRequest().getRequestURI().endsWith("/recognize");
        if (cause.startsWith("FileCount") && clip) {
            p = tooLarge("too-many-frames", "Too many frames", "the request has more than " + maxParts
                    + " parts (server.tomcat.max-part-count): send a longer clip as a video", maxParts,
                    "server.tomcat.max-part-count");
        } else if (cause.startsWith("FileCount")) {
            p = tooLarge("too-many-images", "Too many images", "the request has more than " + maxParts
                    + " parts (server.tomcat.max-part-count); at most " + maxBatchImages
                    + " images are served per request (" + TooManyImagesException.CONFIG_KEY + ")",
                    maxBatchImages, TooManyImagesException.CONFIG_KEY);
        } else {
            // Tomcat's per-part limit is the request limit (application.yaml): images and clips have their
            // own, smaller ones, checked by the controllers with their keys.
            p = tooLarge("payload-too-large", "Payload too large", "the request exceeds the limit of "
                    + maxRequestBytes + " bytes (visionserve.limits.max-request-bytes)", maxRequestBytes,
                    "visionserve.limits.max-request-bytes");
        }
        return respond(p, req);
    }

    @Override
    protected ResponseEntity<Object> handleHttpMediaTypeNotSupported(HttpMediaTypeNotSupportedException e,
            HttpHeaders headers, HttpStatusCode status, WebRequest req) {
        ProblemDetail p = problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type",
                "content type " + e.getContentType() + " is not accepted here; send " + (isSegment(req)
                        ? "multipart/form-data with the parts fat, inn, opp and wat" : "one of " + e.getSupportedMediaTypes()));
        return respond(p, headers, req);
    }

    private static boolean isSegment(WebRequest req) {
        return req instanceof org.springframework.web.context.request.ServletWebRequest s
                && s.getRequest().getRequestURI().endsWith("/segment");
    }

    /**
     * Gives the problems Spring MVC builds itself a code and a type like ours. Under {@code /v2} (the
     * Open Inference Protocol, whose own errors {@link InferenceErrorAdvice} answers) what reaches here
     * (no such path, a wrong method or content type) is answered in the protocol's form, {@code {"error"}}.
     */
    @Override
    protected ResponseEntity<Object> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode status,
                                                          WebRequest req) {
        if (body instanceof ProblemDetail p && req instanceof org.springframework.web.context.request.ServletWebRequest s
                && s.getRequest().getRequestURI().startsWith("/v2/")) {
            HttpHeaders h = new HttpHeaders();
            h.putAll(headers);
            h.setContentType(MediaType.APPLICATION_JSON);
            return new ResponseEntity<>(java.util.Map.of("error", Problems.clean(p.getDetail() != null ? p.getDetail()
                    : p.getTitle())), h, status);
        }
        if (body instanceof ProblemDetail p) {
            if (p.getProperties() == null || !p.getProperties().containsKey("code")) {
                String code = Problems.code(status.value());
                p.setType(URI.create(Problems.TYPE_PREFIX + code));
                p.setProperty("code", code);
            }
            p.setDetail(Problems.clean(p.getDetail()));
        }
        return super.createResponseEntity(body, headers, status, req);
    }

    private static ProblemDetail problem(HttpStatus status, String code, String title, String detail) {
        return Problems.problem(status, code, title, detail);
    }

    private static ProblemDetail tooLarge(String code, String title, String detail, long limit, String configKey) {
        ProblemDetail p = problem(HttpStatus.CONTENT_TOO_LARGE, code, title, detail);
        p.setProperty("limit", limit);
        p.setProperty("configKey", configKey);
        return p;
    }

    private static HttpHeaders retryAfter(long seconds) {
        HttpHeaders h = new HttpHeaders();
        h.set(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
        return h;
    }

    private static final org.springframework.web.method.annotation.ExceptionHandlerMethodResolver HANDLERS =
            new org.springframework.web.method.annotation.ExceptionHandlerMethodResolver(ProblemHandler.class);

    /**
     * The problem a synchronous request failing with {@code failure} would be answered with, for an
     * asynchronous operation's {@code error}: the same handler, outside of any request.
     */
    ProblemDetail problemFor(Throwable failure, String instance) {
        WebRequest req = new DetachedWebRequest();
        ResponseEntity<Object> answer;
        try {
            java.lang.reflect.Method m = failure instanceof Exception e ? HANDLERS.resolveMethodByThrowable(e) : null;
            answer = m != null ? castAnswer(m.invoke(this, failure, req)) : handleException((Exception) failure, req);
        } catch (Exception | Error e) {
            answer = null;
        }
        if (answer == null || !(answer.getBody() instanceof ProblemDetail p)) {
            if (answer == null || !(failure instanceof Exception)) {
                log.error("operation failed", failure);
            }
            return problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                    "the operation failed on the server; the log has the details");
        }
        p.setInstance(java.net.URI.create(instance));
        return p;
    }

    @SuppressWarnings("unchecked")
    private static ResponseEntity<Object> castAnswer(Object o) {
        return (ResponseEntity<Object>) o;
    }

    private ResponseEntity<Object> respond(ProblemDetail p, WebRequest req) {
        return respond(p, new HttpHeaders(), req);
    }

    private ResponseEntity<Object> respond(ProblemDetail p, HttpHeaders headers, WebRequest req) {
        if (p.getInstance() == null && req instanceof org.springframework.web.context.request.ServletWebRequest s) {
            p.setInstance(URI.create(s.getRequest().getRequestURI()));
        }
        return createResponseEntity(p, headers, HttpStatusCode.valueOf(p.getStatus()), req);
    }
}
