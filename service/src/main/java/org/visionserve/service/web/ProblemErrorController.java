package org.visionserve.service.web;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The servlet container's error page ({@code /error}): errors raised outside Spring MVC's handlers (a
 * filter, {@code sendError}) are forwarded here and answered as problem+json like every other error.
 * Requested directly, {@code /error} is no resource: 404, never Spring Boot's {@code "status": 999}.
 */
@RestController
@Hidden // not part of the API: springdoc would list it
public class ProblemErrorController implements ErrorController {

    @RequestMapping("${server.error.path:/error}")
    public ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        HttpStatus status = code instanceof Integer c && HttpStatus.resolve(c) != null && c >= 400
                ? HttpStatus.valueOf(c) : null;
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        ProblemDetail p;
        if (status == null) {
            p = Problems.problem(HttpStatus.NOT_FOUND, Problems.code(404), "Not Found",
                    "no resource at " + request.getRequestURI());
            uri = request.getRequestURI();
        } else if (status.is5xxServerError()) {
            p = Problems.problem(status, Problems.code(status.value()), status.getReasonPhrase(),
                    "the request failed on the server; the log has the details");
        } else {
            Object message = request.getAttribute(RequestDispatcher.ERROR_MESSAGE);
            p = Problems.problem(status, Problems.code(status.value()), status.getReasonPhrase(),
                    Problems.clean(message instanceof String m && !m.isBlank() ? m : status.getReasonPhrase()));
        }
        if (uri instanceof String u) {
            try {
                p.setInstance(URI.create(u));
            } catch (IllegalArgumentException e) {
                // not a valid URI reference: no instance then
            }
        }
        return ResponseEntity.status(p.getStatus()).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(p);
    }
}
