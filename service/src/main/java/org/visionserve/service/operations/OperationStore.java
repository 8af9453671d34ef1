package org.visionserve.service.operations;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where operations are kept: in this replica's memory, or in Redis for all replicas. Only the replica
 * running an operation writes it; any replica reads it, and a cancel reaches the running one through
 * {@link #publishCancel}. Retention (expiry, count and size bounds) is {@link Operations}'s.
 */
public interface OperationStore {

    /** Writes the operation's state; {@code ttl} bounds how long the store may keep it (the Redis keys' expiry). */
    void save(OperationState state, Duration ttl);

    Optional<OperationState> find(String id);

    /** Every operation kept, oldest first. */
    List<OperationState> all();

    /** Writes the result (JSON and binary files) of an operation, before its final state. */
    void saveResult(String id, String json, List<StoredFile> files, Duration ttl);

    Optional<String> result(String id);

    Optional<StoredFile> file(String id, String name);

    /** Forgets the operation, its result and its files. */
    void remove(String id);

    /** Asks the replica running {@code id} to cancel it (this one included). */
    void publishCancel(String id);

    /** Calls {@code handler} with the id of every cancel published by any replica. */
    void onCancel(Consumer<String> handler);
}
