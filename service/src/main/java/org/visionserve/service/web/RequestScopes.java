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
        return open(request, deadlines.classify());
    }

    public RequestScope recognize(HttpServletRequest request) {
        return open(request, deadlines.recognize());
    }

    public RequestScope segment(HttpServletRequest request) {
        return open(request, deadlines.segment());
    }

    /** A scope of {@code taskDeadline} (or less, as the client asks), e.g. a model's task deadline for /v2 inference. */
    public RequestScope open(HttpServletRequest request, Duration taskDeadline) {
        Duration timeout = timeout(taskDeadline, request.getParameter(PARAMETER), request.getHeader(HEADER));
        Object probe = request.getAttribute(ConnectionProbeValve.ATTRIBUTE);
        return RequestScope.open(timeout, probe instanceof BooleanSupplier b ? b : () -> false);
    }

    /**
     * The shortest of the task's deadline, the {@code timeout} parameter and the {@code Request-Timeout}
     * header (either may be null).
     *
     * @throws InvalidParameterException naming the parameter or header whose value is no positive duration
     */
    static Duration timeout(Duration taskDeadline, String parameter, String header) {
        Duration timeout = taskDeadline;
        for (Duration asked : new Duration[] {parse(parameter, PARAMETER), parse(header, HEADER)}) {
            if (asked != null && asked.compareTo(timeout) < 0) {
                timeout = asked;
            }
        }
        return timeout;
    }

    private static Duration parse(String value, String name) {
        if (value == null || value.isBlank()) {
            return null;
        }
        Duration d;
        try {
            d = value.strip().matches("\\+?\\d+(\\.\\d+)?") // a bare number is seconds
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
