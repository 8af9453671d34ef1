package org.visionserve.service.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.visionserve.service.metrics.Protocol;
import org.visionserve.service.metrics.ServiceMetrics;
import org.visionserve.service.metrics.ServiceMetrics.Outcome;
import org.visionserve.service.runtime.ModelRepository;

/**
 * Counts every inference request ({@code POST /v1/models/{id}/classify...}, {@code .../recognize} and
 * {@code .../segment}, and the Open Inference Protocol's {@code POST /v2/models/{id}[/versions/{v}]/infer})
 * by model, outcome and protocol from its final status, so errors raised anywhere (the
 * multipart parser, Spring MVC, our handlers) are counted alike. Ids that name no model are counted as
 * {@code unknown}.
 */
@Component
public class RequestMetricsFilter extends OncePerRequestFilter {

    /** Request attribute a handler sets to mark a refusal for capacity ({@code rejected}) or a deadline ({@code timeout}). */
    public static final String OUTCOME_ATTRIBUTE = RequestMetricsFilter.class.getName() + ".outcome";

    private static final Pattern INFERENCE =
            Pattern.compile("^/v1/models/([^/]+)(?:/versions/[^/]+)?/(?:classify[^/]*|recognize|segment)$");
    /** Open Inference Protocol inference ({@code /v2}, REST). */
    private static final Pattern V2_INFERENCE = Pattern.compile("^/v2/models/([^/]+)(?:/versions/[^/]+)?/infer$");

    private final ServiceMetrics metrics;
    private final ModelRepository repository;

    public RequestMetricsFilter(ServiceMetrics metrics, ModelRepository repository) {
        this.metrics = metrics;
        this.repository = repository;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !"POST".equals(request.getMethod()) || (!INFERENCE.matcher(request.getRequestURI()).matches()
                && !V2_INFERENCE.matcher(request.getRequestURI()).matches());
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        boolean failed = true;
        try {
            chain.doFilter(request, response);
            failed = false;
        } finally {
            Matcher m = INFERENCE.matcher(request.getRequestURI());
            Protocol protocol = Protocol.V1;
            if (!m.matches()) {
                m = V2_INFERENCE.matcher(request.getRequestURI());
                protocol = Protocol.V2_REST;
            }
            String model = m.matches() && repository.contains(m.group(1)) ? m.group(1) : ServiceMetrics.UNKNOWN_MODEL;
            metrics.countRequest(model, outcome(request, failed ? 500 : response.getStatus()), protocol);
        }
    }

    private static Outcome outcome(HttpServletRequest request, int status) {
        Object marked = request.getAttribute(OUTCOME_ATTRIBUTE);
        if ("rejected".equals(marked)) {
            return Outcome.REJECTED;
        }
        if ("timeout".equals(marked)) {
            return Outcome.TIMEOUT;
        }
        if (status >= 500) {
            return Outcome.SERVER_ERROR;
        }
        return status >= 400 ? Outcome.CLIENT_ERROR : Outcome.OK;
    }
}
