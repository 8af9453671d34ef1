package org.visionserve.service.web;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.visionserve.service.operations.OperationState;
import org.visionserve.service.operations.Operations;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code Prefer: respond-async} (RFC 7240) on recognize and segment: the request's work becomes an
 * operation, answered 202 with its {@code Location} once accepted; a refusal before that (bad input,
 * over a limit, overloaded) is answered at once as the synchronous call answers it.
 */
@Component
class OperationSubmitter {

    static final String PREFER = "Prefer";
    static final String RESPOND_ASYNC = "respond-async";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Operations operations;
    private final ProblemHandler problems;

    OperationSubmitter(Operations operations, ProblemHandler problems) {
        this.operations = operations;
        this.problems = problems;
    }

    /** Whether the request prefers an asynchronous answer. */
    static boolean wanted(HttpServletRequest request) {
        for (String header : Collections.list(request.getHeaders(PREFER))) {
            for (String preference : header.split(",")) {
                String token = preference.split(";", 2)[0].split("=", 2)[0].strip().toLowerCase(Locale.ROOT);
                if (token.equals(RESPOND_ASYNC)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Submits the work with the task's deadline (visionserve.operations.deadline, else the task's; the
     * request's timeout parameter or Request-Timeout header may shorten it) and answers 202.
     */
    ResponseEntity<Object> submit(HttpServletRequest request, String kind, String model, Duration taskDeadline,
                                  java.util.List<Operations.Span> spans, Operations.Work work) throws Exception {
        Duration deadline = RequestScopes.timeout(operations.deadline(taskDeadline),
                request.getParameter(RequestScopes.PARAMETER), request.getHeader(RequestScopes.HEADER));
        String owner = request.getUserPrincipal() == null ? null : request.getUserPrincipal().getName();
        String uri = request.getRequestURI(); // the request is recycled long before the operation ends
        OperationState s = operations.submit(kind, model, owner, deadline, spans, work,
                failure -> JSON.valueToTree(ProblemJson.of(problems.problemFor(failure, uri))));
        return ResponseEntity.status(HttpStatus.ACCEPTED)
                .location(URI.create(OperationsController.PATH + "/" + s.id()))
                .header("Preference-Applied", RESPOND_ASYNC)
                .contentType(MediaType.APPLICATION_JSON)
                .body(OperationView.of(s, null));
    }

    /** A problem's members at the top level, as its HTTP body has them. */
    static final class ProblemJson {
        private ProblemJson() {
        }

        static java.util.Map<String, Object> of(org.springframework.http.ProblemDetail p) {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("type", p.getType().toString());
            m.put("title", p.getTitle());
            m.put("status", p.getStatus());
            m.put("detail", Problems.clean(p.getDetail()));
            if (p.getInstance() != null) {
                m.put("instance", p.getInstance().toString());
            }
            if (p.getProperties() != null) {
                m.putAll(p.getProperties());
            }
            return m;
        }
    }

    static JsonNode parse(String json) {
        return JSON.readTree(json);
    }
}
