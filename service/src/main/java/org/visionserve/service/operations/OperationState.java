package org.visionserve.service.operations;

import java.time.Instant;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * One operation as the store keeps it (its result apart): written by the replica that runs it, read by
 * any. {@code version} grows with every write (the event streams send what changed).
 *
 * @param owner       the caller's principal name, null when authentication is off
 * @param error       the problem (RFC 9457) of a failed or cancelled operation
 * @param resultBytes the stored result's size (JSON and files), counted against the retention bound
 * @param files       the binary results kept (names of {@link StoredFile}s)
 */
public record OperationState(String id, String kind, String model, String owner, String status, Progress progress,
                             Instant createdAt, Instant startedAt, Instant updatedAt, Instant finishedAt,
                             Instant expiresAt, JsonNode error, long resultBytes, List<String> files, long version) {

    public static final String QUEUED = "queued";
    public static final String RUNNING = "running";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String CANCELLED = "cancelled";
    public static final List<String> STATES = List.of(QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED);

    /**
     * How far the work is: the current stage in its own units (flow pairs, frames, slices, windows; the
     * admission queue is stage {@code queue}, 0 of 1) and an estimate of the whole, 0 to 1.
     */
    public record Progress(String stage, long completed, long total, double fraction) {
    }

    public boolean finished() {
        return finishedAt != null;
    }

    OperationState with(String newStatus, Progress newProgress, Instant started, Instant now) {
        return new OperationState(id, kind, model, owner, newStatus, newProgress, createdAt, started, now, finishedAt,
                expiresAt, error, resultBytes, files, version + 1);
    }

    OperationState finish(String newStatus, Instant now, Instant expires, JsonNode problem, long bytes,
                          List<String> fileNames, Progress last) {
        return new OperationState(id, kind, model, owner, newStatus, last, createdAt, startedAt, now, now, expires,
                problem, bytes, fileNames, version + 1);
    }
}
