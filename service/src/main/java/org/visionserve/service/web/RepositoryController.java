package org.visionserve.service.web;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.visionserve.service.inference.RepositoryOperations;
import org.visionserve.service.inference.RepositoryOperations.Entry;
import org.visionserve.service.inference.RepositoryOperations.RepositoryRequestException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Triton's model-repository extension of the KServe v2 protocol ({@code docs/protocol/extension_model_repository.md}),
 * so Triton's clients can list, load and unload models: index, load (or reload: a hot swap), unload. Errors
 * are the protocol's {@code {"error": "..."}} with 400, not problem+json. Not in the OpenAPI document
 * (the SDKs are for /v1): the protocol's own description applies. The operations are
 * {@link RepositoryOperations}, shared with gRPC's {@code Repository*} RPCs.
 */
@Hidden
@RestController
@RequestMapping(path = "/v2/repository", produces = MediaType.APPLICATION_JSON_VALUE)
public class RepositoryController {

    private static final Logger log = LoggerFactory.getLogger(RepositoryController.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final RepositoryOperations operations;

    public RepositoryController(RepositoryOperations operations) {
        this.operations = operations;
    }

    /** {@code {"ready": true}} lists only the versions ready for inference. */
    @PostMapping("/index")
    public List<Entry> index(@RequestBody(required = false) String body) {
        JsonNode request = parse(body);
        JsonNode ready = request.get("ready");
        if (ready != null && !ready.isBoolean()) {
            throw new RepositoryRequestException("'ready' must be a boolean");
        }
        return operations.index(ready != null && ready.asBoolean());
    }

    /** Loads the model, or reloads it when loaded; answers once its versions are ready (or failed). */
    @PostMapping("/models/{name}/load")
    public ResponseEntity<Object> load(@PathVariable String name, @RequestBody(required = false) String body,
                                       HttpServletRequest request) {
        operations.load(name, parameters(parse(body)), who(request));
        return ResponseEntity.ok().build();
    }

    /** Unloads the model: new requests are refused at once, those in flight finish first. */
    @PostMapping("/models/{name}/unload")
    public ResponseEntity<Object> unload(@PathVariable String name, @RequestBody(required = false) String body,
                                         HttpServletRequest request) {
        operations.unload(name, parameters(parse(body)), who(request));
        return ResponseEntity.ok().build();
    }

    /** Who asked, for the audit log: the authenticated principal, else {@code anonymous}. */
    static String who(HttpServletRequest request) {
        Principal p = request.getUserPrincipal();
        return p == null || p.getName() == null ? "anonymous" : p.getName();
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return JSON.createObjectNode();
        }
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (JacksonException e) {
            throw new RepositoryRequestException("the body is not JSON: " + e.getOriginalMessage());
        }
        if (!node.isObject()) {
            throw new RepositoryRequestException("the body must be a JSON object");
        }
        return node;
    }

    /** The names of the request's parameters. */
    private static Set<String> parameters(JsonNode request) {
        JsonNode parameters = request.get("parameters");
        if (parameters == null || parameters.isNull()) {
            return Set.of();
        }
        if (!parameters.isObject()) {
            throw new RepositoryRequestException("'parameters' must be an object");
        }
        return new LinkedHashSet<>(parameters.propertyNames());
    }

    @ExceptionHandler
    ResponseEntity<Object> badRequest(RepositoryRequestException e) {
        return error(HttpStatus.BAD_REQUEST, e.getMessage());
    }

    /** Spring's own refusals (unreadable body, wrong media type...) in the protocol's shape too. */
    @ExceptionHandler
    ResponseEntity<Object> refused(Exception e) {
        if (e instanceof ErrorResponse r) {
            String detail = r.getBody().getDetail();
            return error(HttpStatus.valueOf(r.getStatusCode().value()), detail == null ? "bad request" : detail);
        }
        log.error("repository request failed", e);
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "internal error; the server's log has the reason");
    }

    private static ResponseEntity<Object> error(HttpStatus status, String message) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(Map.of("error", message));
    }
}
