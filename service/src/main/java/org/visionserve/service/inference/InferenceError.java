package org.visionserve.service.inference;

import org.visionserve.service.classification.ImageRejectedException;
import org.visionserve.service.pipeline.InvalidParameterException;
import org.visionserve.service.runtime.CostOverBudgetException;
import org.visionserve.service.runtime.InferenceException;
import org.visionserve.service.runtime.ModelUnavailableException;
import org.visionserve.service.runtime.OverloadedException;
import org.visionserve.service.runtime.RequestCancelledException;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.runtime.UnknownModelException;

/**
 * What went wrong with a protocol request, independent of the protocol: each transport maps the
 * {@link Kind} to its own status (REST: {@link Kind#httpStatus}; gRPC: its status code) and sends the
 * message as the protocol's error text. The one place that turns the service's exceptions into the
 * Open Inference Protocol's errors, so REST and gRPC answer the same failure alike.
 *
 * @param retryAfterSeconds for {@link Kind#UNAVAILABLE} when the model is at capacity, else 0
 */
public record InferenceError(Kind kind, String message, long retryAfterSeconds) {

    /** Error classes, with the HTTP status the REST binding answers. */
    public enum Kind {
        INVALID_ARGUMENT(400), NOT_FOUND(404), TOO_LARGE(413), UNAVAILABLE(503), DEADLINE_EXCEEDED(504),
        /** The client went away: nobody reads the answer. */
        CANCELLED(499), INTERNAL(500);

        public final int httpStatus;

        Kind(int httpStatus) {
            this.httpStatus = httpStatus;
        }
    }

    /** The protocol error of a failure; anything not known here is an internal error without details. */
    public static InferenceError of(Throwable t) {
        if (t instanceof InvalidInferenceRequestException || t instanceof InvalidParameterException) {
            return new InferenceError(Kind.INVALID_ARGUMENT, t.getMessage(), 0);
        }
        if (t instanceof ImageRejectedException e) {
            Kind kind = e.decodeError().kind() == org.visionserve.service.image.ImageDecodeException.Kind.TOO_LARGE
                    ? Kind.TOO_LARGE : Kind.INVALID_ARGUMENT;
            return new InferenceError(kind, "image " + e.index() + ": " + e.decodeError().getMessage(), 0);
        }
        if (t instanceof UnknownModelException || t instanceof UnknownVersionException) {
            return new InferenceError(Kind.NOT_FOUND, t.getMessage(), 0);
        }
        if (t instanceof CostOverBudgetException e) {
            return new InferenceError(Kind.TOO_LARGE, e.getMessage() + " (visionserve.admission.memory-budget)", 0);
        }
        if (t instanceof TensorTooLargeException) {
            return new InferenceError(Kind.TOO_LARGE, t.getMessage(), 0);
        }
        if (t instanceof OverloadedException e) {
            return new InferenceError(Kind.UNAVAILABLE, e.getMessage(), e.retryAfterSeconds());
        }
        if (t instanceof ModelUnavailableException) {
            return new InferenceError(Kind.UNAVAILABLE, t.getMessage(), 0);
        }
        if (t instanceof RequestCancelledException e) {
            return e.reason() == RequestScope.Reason.CLIENT_GONE
                    ? new InferenceError(Kind.CANCELLED, "the client went away", 0)
                    : new InferenceError(Kind.DEADLINE_EXCEEDED, e.getMessage() + "; its work was stopped", 0);
        }
        if (t instanceof InferenceException e) {
            return new InferenceError(Kind.INTERNAL, "inference on model '" + e.modelId() + "' failed", 0);
        }
        return new InferenceError(Kind.INTERNAL, "internal error", 0);
    }
}
