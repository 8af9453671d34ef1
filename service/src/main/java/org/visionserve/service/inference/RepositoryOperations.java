package org.visionserve.service.inference;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Set;
import org.springframework.stereotype.Service;
import org.visionserve.service.runtime.ModelRepository;
import org.visionserve.service.runtime.ModelRepository.IndexEntry;
import org.visionserve.service.runtime.ModelStatus;

/**
 * Triton's model-repository extension independent of its transport: index, load (or reload: a hot swap)
 * and unload, in Triton's terms (its state names, its parameters). REST's {@code /v2/repository} and
 * gRPC's {@code Repository*} RPCs both call this; the repository writes the audit line of each change.
 */
@Service
public class RepositoryOperations {

    /** A request the extension refuses (REST 400 {@code {"error": ...}}, gRPC INVALID_ARGUMENT). */
    public static final class RepositoryRequestException extends RuntimeException {
        public RepositoryRequestException(String message) {
            super(message);
        }
    }

    /** One line of the index: version null when the model has none, state READY, LOADING, UNLOADING or UNAVAILABLE. */
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

    private final ModelRepository repository;

    public RepositoryOperations(ModelRepository repository) {
        this.repository = repository;
    }

    /** Every model and version with its state; with {@code readyOnly} those ready for inference only. */
    public List<Entry> index(boolean readyOnly) {
        return repository.index(readyOnly).stream().map(Entry::of).toList();
    }

    /**
     * Loads the model, or reloads it when loaded; returns once its versions are ready.
     *
     * @param parameters the names of the request's parameters: none is supported
     * @param who        the caller, for the audit line
     * @throws RepositoryRequestException for a parameter, or when the load failed (why)
     */
    public void load(String model, Set<String> parameters, String who) {
        for (String p : parameters) {
            throw new RepositoryRequestException("load parameter '" + p + "' is not supported: a model's settings come"
                    + " from visionserve.models.settings." + model + ".*, its files from the repository folder");
        }
        check(repository.load(model, who));
    }

    /**
     * Unloads the model: new requests are refused at once, those in flight finish first.
     *
     * @param parameters the names of the request's parameters: only {@code unload_dependents} (no model
     *                   here has dependents: accepted, nothing to do)
     */
    public void unload(String model, Set<String> parameters, String who) {
        for (String p : parameters) {
            if (!p.equals("unload_dependents")) {
                throw new RepositoryRequestException("unload parameter '" + p + "' is not supported");
            }
        }
        check(repository.unload(model, who));
    }

    private static void check(ModelRepository.Outcome outcome) {
        if (!outcome.ok()) {
            throw new RepositoryRequestException(outcome.message());
        }
    }
}
