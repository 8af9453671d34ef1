package org.visionserve.service.operations;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** The default store: this replica's memory (a GET must reach the replica that took the operation). */
public final class MemoryOperationStore implements OperationStore {

    private record Stored(String json, List<StoredFile> files) {
    }

    private final Map<String, OperationState> states = new ConcurrentHashMap<>();
    private final Map<String, Stored> results = new ConcurrentHashMap<>();
    private final List<Consumer<String>> cancelHandlers = new CopyOnWriteArrayList<>();

    @Override
    public void save(OperationState state, Duration ttl) {
        states.put(state.id(), state);
    }

    @Override
    public Optional<OperationState> find(String id) {
        return Optional.ofNullable(states.get(id));
    }

    @Override
    public List<OperationState> all() {
        return states.values().stream().sorted(Comparator.comparing(OperationState::createdAt)).toList();
    }

    @Override
    public void saveResult(String id, String json, List<StoredFile> files, Duration ttl) {
        results.put(id, new Stored(json, List.copyOf(files)));
    }

    @Override
    public Optional<String> result(String id) {
        Stored s = results.get(id);
        return s == null ? Optional.empty() : Optional.ofNullable(s.json());
    }

    @Override
    public Optional<StoredFile> file(String id, String name) {
        Stored s = results.get(id);
        return s == null ? Optional.empty() : s.files().stream().filter(f -> name.equals(f.name())).findFirst();
    }

    @Override
    public void remove(String id) {
        results.remove(id);
        states.remove(id);
    }

    @Override
    public void publishCancel(String id) {
        cancelHandlers.forEach(h -> h.accept(id));
    }

    @Override
    public void onCancel(Consumer<String> handler) {
        cancelHandlers.add(handler);
    }
}
