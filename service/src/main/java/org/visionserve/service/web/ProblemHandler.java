package org.visionserve.service.web;

import java.net.URI;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.visionserve.service.classification.ImageRejectedException;
import org.visionserve.service.classification.InvalidParameterException;
import org.visionserve.service.classification.TooManyImagesException;
import org.visionserve.service.classification.WrongTaskException;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.image.ImageDecodeException;
import org.visionserve.service.runtime.InferenceException;
import org.visionserve.service.runtime.ModelBusyException;
import org.visionserve.service.runtime.ModelUnavailableException;
import org.visionserve.service.runtime.UnknownModelException;

/**
 * Every error as RFC 9457 {@code application/problem+json}: a {@code type} URN and a short {@code code}
 * per kind of problem, a {@code detail} saying what to change, and for size limits the {@code limit}
 * with its {@code configKey}. Spring MVC's own errors (wrong content type, size limits of the
 * multipart parser, missing parts) go through the base class and get the same shape.
 */
@RestControllerAdvice
public class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    private final long maxImageBytes;
    private final long maxRequestBytes;

    public ProblemHandler(VisionServeProperties props) {
        this.maxImageBytes = props.limits().maxImageBytes().toBytes();
        this.maxRequestBytes = props.limits().maxRequestBytes().toBytes();
    }

    @ExceptionHandler
    ResponseEntity<Object> unknownModel(UnknownModelException e, WebRequest req) {
        return respond(problem(HttpStatus.NOT_FOUND, "unknown-model", "Unknown model", e.getMessage()), req);
    }

    @ExceptionHandler
    ResponseEntity<Object> unavailable(ModelUnavailableException e, WebRequest req) {
        return switch (e.status()) {
            case DISABLED -> respond(problem(HttpStatus.CONFLICT, "model-disabled", "Model disabled", e.getMessage()), req);
            case LOADING -> respond(problem(HttpStatus.SERVICE_UNAVAILABLE, "model-loading", "Model loading",
                    e.getMessage()), retryAfter(5), req);
            default -> respond(problem(HttpStatus.SERVICE_UNAVAILABLE, "model-failed", "Model failed to load",
                    e.getMessage()), req);
        };
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

    @ExceptionHandler
    ResponseEntity<Object> busy(ModelBusyException e, WebRequest req) {
        req.setAttribute(RequestMetricsFilter.OUTCOME_ATTRIBUTE, "rejected", RequestAttributes.SCOPE_REQUEST);
        ProblemDetail p = problem(HttpStatus.SERVICE_UNAVAILABLE, "model-busy", "Model at capacity", e.getMessage());
        p.setProperty("queueCapacity", e.queueCapacity());
        return respond(p, retryAfter(1), req);
    }

    @ExceptionHandler
    ResponseEntity<Object> inferenceFailed(InferenceException e, WebRequest req) {
        log.error("inference failed", e);
        return respond(problem(HttpStatus.INTERNAL_SERVER_ERROR, "inference-failed", "Inference failed",
                e.getMessage()), req);
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

    /** The servlet container's multipart limits, derived from ours in application.yaml. */
    @Override
    protected ResponseEntity<Object> handleMaxUploadSizeExceededException(MaxUploadSizeExceededException e,
            HttpHeaders headers, HttpStatusCode status, WebRequest req) {
        boolean perFile = e.getCause() != null && e.getMostSpecificCause().getClass().getSimpleName().startsWith("FileSize");
        ProblemDetail p = perFile
                ? tooLarge("payload-too-large", "Payload too large", "an uploaded image exceeds the limit of "
                + maxImageBytes + " bytes (visionserve.limits.max-image-bytes)", maxImageBytes, "visionserve.limits.max-image-bytes")
                : tooLarge("payload-too-large", "Payload too large", "the request exceeds the limit of "
                + maxRequestBytes + " bytes (visionserve.limits.max-request-bytes)", maxRequestBytes, "visionserve.limits.max-request-bytes");
        return respond(p, req);
    }

    @Override
    protected ResponseEntity<Object> handleHttpMediaTypeNotSupported(HttpMediaTypeNotSupportedException e,
            HttpHeaders headers, HttpStatusCode status, WebRequest req) {
        ProblemDetail p = problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type",
                "content type " + e.getContentType() + " is not accepted here; send multipart/form-data or an image/* body");
        return respond(p, headers, req);
    }

    /** Gives the problems Spring MVC builds itself a code and a type like ours. */
    @Override
    protected ResponseEntity<Object> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode status,
                                                          WebRequest req) {
        if (body instanceof ProblemDetail p && (p.getProperties() == null || !p.getProperties().containsKey("code"))) {
            HttpStatus s = HttpStatus.resolve(status.value());
            String code = s == null ? "error-" + status.value() : s.name().toLowerCase(Locale.ROOT).replace('_', '-');
            p.setType(URI.create("urn:visionserve:problem:" + code));
            p.setProperty("code", code);
        }
        return super.createResponseEntity(body, headers, status, req);
    }

    private static ProblemDetail problem(HttpStatus status, String code, String title, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(URI.create("urn:visionserve:problem:" + code));
        p.setTitle(title);
        p.setProperty("code", code);
        return p;
    }

    private static ProblemDetail tooLarge(String code, String title, String detail, long limit, String configKey) {
        ProblemDetail p = problem(HttpStatus.CONTENT_TOO_LARGE, code, title, detail);
        p.setProperty("limit", limit);
        p.setProperty("configKey", configKey);
        return p;
    }

    private static HttpHeaders retryAfter(int seconds) {
        HttpHeaders h = new HttpHeaders();
        h.set(HttpHeaders.RETRY_AFTER, Integer.toString(seconds));
        return h;
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
