package org.visionserve.service.web;

import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.stereotype.Component;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.pipeline.InvalidParameterException;
import org.visionserve.service.runtime.RequestScope;

/**
 * Opens each inference request's {@link RequestScope}: its deadline is the task's configured one
 * ({@code visionserve.deadlines.*}), shortened by the client's {@code Request-Timeout} header or
 * {@code timeout} query parameter (seconds, e.g. {@code 2.5}, or a duration such as {@code 500ms});
 * the client is found gone by {@link ConnectionProbeValve}'s probe of its connection.
 */
@Component
public class RequestScopes {

    public static final String HEADER = "Request-Timeout";
    public static final String PARAMETER = "timeout";

    private final VisionServeProperties.Deadlines deadlines;

    public RequestScopes(VisionServeProperties props) {
        this.deadlines = props.deadlines();
    }

    public RequestScope classify(HttpServletRequest request) {
        return open(request, deadlines.classify(), "visionserve.deadlines.classify");
    }

    public RequestScope recognize(HttpServletRequest request) {
        return open(request, deadlines.recognize(), "visionserve.deadlines.recognize");
    }

    public RequestScope segment(HttpServletRequest request) {
        return open(request, deadlines.segment(), "visionserve.deadlines.segment");
    }

    private static RequestScope open(HttpServletRequest request, Duration taskDeadline, String key) {
        Duration timeout = taskDeadline;
        Duration asked = parse(request.getParameter(PARAMETER), PARAMETER);
        Duration header = parse(request.getHeader(HEADER), HEADER);
        if (header != null && (asked == null || header.compareTo(asked) < 0)) {
            asked = header;
        }
        if (asked != null && asked.compareTo(timeout) < 0) {
            timeout = asked;
        }
        Object probe = request.getAttribute(ConnectionProbeValve.ATTRIBUTE);
        return RequestScope.open(timeout, probe instanceof BooleanSupplier b ? b : () -> false);
    }

    private static Duration parse(String value, String name) {
        if (value == null || value.isBlank()) {
            return null;
        }
        Duration d;
        try {
            d = value.strip().matches("\\d+(\\.\\d+)?")
                    ? Duration.ofNanos((long) (Double.parseDouble(value.strip()) * 1e9))
                    : DurationStyle.SIMPLE.parse(value.strip());
        } catch (IllegalArgumentException | ArithmeticException e) {
            d = null;
        }
        if (d == null || d.isNegative() || d.isZero()) {
            throw new InvalidParameterException(name, name + " must be a positive number of seconds (or a duration"
                    + " such as 500ms), got '" + value + "'");
        }
        return d;
    }
}
