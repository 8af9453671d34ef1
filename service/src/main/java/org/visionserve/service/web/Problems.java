package org.visionserve.service.web;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one shape of every error answer, wherever it is made (our handlers, Spring MVC's, the error
 * controller, Tomcat's own refusals): RFC 9457 with a {@code type} URN and a short {@code code}.
 */
final class Problems {

    static final String TYPE_PREFIX = "urn:visionserve:problem:";

    /**
     * Qualified Java class names ({@code java.io.ByteArrayInputStream@5f2b1e}) that library messages carry;
     * they say nothing to a client and something about our internals.
     */
    private static final Pattern JAVA_NAME = Pattern.compile("\\b(?:[a-z_$][\\w$]*\\.){2,}[A-Z][\\w$]*(?:@[0-9a-f]+)?");

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Problems() {
    }

    /** The code of a status Spring or Tomcat reports on its own: its reason phrase, e.g. {@code bad-request}. */
    static String code(int status) {
        HttpStatus s = HttpStatus.resolve(status);
        return s == null ? "error-" + status : s.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static ProblemDetail problem(HttpStatus status, String code, String title, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(URI.create(TYPE_PREFIX + code));
        p.setTitle(title);
        p.setProperty("code", code);
        return p;
    }

    /** A detail with internal names taken out; the rest (what to change) stays. */
    static String clean(String detail) {
        return detail == null ? null : JAVA_NAME.matcher(detail).replaceAll("(internal)");
    }

    /** The JSON of a problem made outside Spring MVC (Tomcat's refusals), in the same shape. */
    static String json(int status, String detail, String instance) {
        HttpStatus s = HttpStatus.resolve(status);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", TYPE_PREFIX + code(status));
        body.put("title", s != null ? s.getReasonPhrase() : "Error " + status);
        body.put("status", status);
        body.put("detail", clean(detail));
        if (instance != null) {
            body.put("instance", instance);
        }
        body.put("code", code(status));
        return JSON.writeValueAsString(body);
    }
}
