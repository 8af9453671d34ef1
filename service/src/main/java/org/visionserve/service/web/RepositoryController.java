package org.visionserve.service.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.util.List;
import java.util.Map;
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
import org.visionserve.service.runtime.ModelRepository;
import org.visionserve.service.runtime.ModelRepository.IndexEntry;
import org.visionserve.service.runtime.ModelStatus;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Triton's model-repository extension of the KServe v2 protocol ({@code docs/protocol/extension_model_repository.md}),
 * so Triton's clients can list, load and unload models: index, load (or reload: a hot swap), unload. Errors
 * are the protocol's {@code {"error": "..."}} with 400, not problem+json. Not in the OpenAPI document
 * (the SDKs are for /v1): the protocol's own description applies.
 */
@Hidden
@RestController
@RequestMapping(path = "/v2/repository", produces = MediaType.APPLICATION_JSON_VALUE)
public class RepositoryController {

    private static final Logger log = LoggerFactory.getLogger(RepositoryController.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final ModelRepository repository;

    public RepositoryController(ModelRepository repository) {
        this.repository = repository;
    }

    /** One line of the index as Triton writes it: state READY, LOADING, UNLOADING or UNAVAILABLE. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(String name, String version, String state, String reason) {

        static Entry of(IndexEntry e) {
            String state = switch (e.state()) {
                case READY -> "READY";
                case LOADING -> "LOADING";
                case UNLOADING -> "UNLOADING";
                default -> "UNAVAILABLE";
            };
            String reason = e.reason() != null ? e.reason()
                    : e.state() == ModelStatus.UNLOADED ? "unloaded" : "";
            return new Entry(e.name(), e.version() == null ? null : e.version().toString(), state, reason);
        }
    }

    /** {@code {"ready": true}} lists only the versions ready for inference. */
    @PostMapping("/index")
    public List<Entry> index(@RequestBody(required = false) String body) {
        JsonNode request = parse(body);
        JsonNode ready = request.get("ready");
        if (ready != null && !ready.isBoolean()) {
            throw new RepositoryError("'ready' must be a boolean");
        }
        return repository.index(ready != null && ready.asBoolean()).stream().map(Entry::of).toList();
    }

    /** Loads the model, or reloads it when loaded; answers once its versions are ready (or failed). */
    @PostMapping("/models/{name}/load")
    public ResponseEntity<Object> load(@PathVariable String name, @RequestBody(required = false) String body,
                                       HttpServletRequest request) {
        JsonNode parameters = parameters(parse(body));
        for (String p : parameters.propertyNames()) {
            throw new RepositoryError("load parameter '" + p + "' is not supported: a model's settings come from "
                    + "visionserve.models.settings." + name + ".*, its files from the repository folder");
        }
        return answer(repository.load(name, who(request)));
    }

    /** Unloads the model: new requests are refused at once, those in flight finish first. */
    @PostMapping("/models/{name}/unload")
    public ResponseEntity<Object> unload(@PathVariable String name, @RequestBody(required = false) String body,
                                         HttpServletRequest request) {
        JsonNode parameters = parameters(parse(body));
        for (String p : parameters.propertyNames()) {
            if (!p.equals("unload_dependents")) { // no model here has dependents: accepted, nothing to do
                throw new RepositoryError("unload parameter '" + p + "' is not supported");
            }
        }
        return answer(repository.unload(name, who(request)));
    }

    private static ResponseEntity<Object> answer(ModelRepository.Outcome outcome) {
        return outcome.ok() ? ResponseEntity.ok().build() : error(HttpStatus.BAD_REQUEST, outcome.message());
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
            throw new RepositoryError("the body is not JSON: " + e.getOriginalMessage());
        }
        if (!node.isObject()) {
            throw new RepositoryError("the body must be a JSON object");
        }
        return node;
    }

    private static JsonNode parameters(JsonNode request) {
        JsonNode parameters = request.get("parameters");
        if (parameters == null || parameters.isNull()) {
            return JSON.createObjectNode();
        }
        if (!parameters.isObject()) {
            throw new RepositoryError("'parameters' must be an object");
        }
        return parameters;
    }

    /** A request the protocol answers with 400 and {@code {"error": ...}}. */
    static final class RepositoryError extends RuntimeException {
        RepositoryError(String message) {
            super(message);
        }
    }

    @ExceptionHandler
    ResponseEntity<Object> badRequest(RepositoryError e) {
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
