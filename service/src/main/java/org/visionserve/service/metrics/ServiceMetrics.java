package org.visionserve.service.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import org.visionserve.service.pipeline.Stage;
import org.visionserve.service.pipeline.StageTimer;
import org.visionserve.service.runtime.Admission;

/**
 * The service's own meters (names as Prometheus shows them):
 * <ul>
 *   <li>{@code visionserve_stage_seconds} histogram {model, stage, device, protocol}: time of each request stage
 *       ({@link Stage}, recorded through {@link StageTimer})</li>
 *   <li>{@code visionserve_requests_total} counter {model, outcome, protocol}: requests by outcome (ok, client_error,
 *       server_error, rejected: refused for capacity, timeout: past its deadline)</li>
 *   <li>{@code visionserve_queue_depth} gauge {model}: requests waiting for the model's runner</li>
 *   <li>{@code visionserve_batch_size} histogram {model}: items per batched model run</li>
 *   <li>{@code visionserve_model_load_seconds} gauge {model, device}: session creation plus warm-up</li>
 *   <li>{@code visionserve_model_info} gauge {model, task, device, weights, status}: 1 per known model</li>
 *   <li>{@code visionserve_segmentation_in_flight} gauge: volumes in the segmentation pipeline</li>
 *   <li>{@code visionserve_client_aborts_total} counter {stage}: clients gone mid-upload, while their request was processed, or mid-response</li>
 *   <li>{@code visionserve_upload_timeouts_total} counter: uploads cut for being too slow or stalled</li>
 *   <li>{@code visionserve_auth_failures_total} counter {reason}: requests refused 401 (missing, malformed,
 *       invalid-key, expired-token, invalid-token)</li>
 *   <li>{@code visionserve_rate_limited_total} counter {policy}: requests refused 429 by a caller's token bucket</li>
 *   <li>{@code visionserve_admission_reserved_bytes}, {@code visionserve_admission_budget_bytes} gauges: working
 *       memory reserved by admitted requests, and the budget</li>
 *   <li>{@code visionserve_admission_active}, {@code visionserve_admission_waiting} gauges {pool}: requests admitted
 *       and waiting per admission pool (a model's id, or {@code pipeline/clips}, {@code pipeline/volumes})</li>
 * </ul>
 */
@Component
public class ServiceMetrics implements StageTimer.Recorder {

    /** How a request ended. */
    public enum Outcome { OK, CLIENT_ERROR, SERVER_ERROR, REJECTED, TIMEOUT }

    /** The model tag for requests naming no known model, so unknown ids cannot blow up the label set. */
    public static final String UNKNOWN_MODEL = "unknown";

    /**
     * Explicit buckets around the latencies of CPU and GPU inference, so SLOs such as "95 % under
     * 250 ms" can be read straight off the histogram.
     */
    static final Duration[] SLO_BUCKETS = {
            ms(1), ms(2.5), ms(5), ms(10), ms(25), ms(50), ms(75), ms(100), ms(150), ms(250), ms(500),
            ms(750), ms(1000), ms(2500), ms(5000), ms(10000)};

    private final MeterRegistry registry;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, DistributionSummary> batchSizes = new ConcurrentHashMap<>();

    public ServiceMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The service's meters, with the admission gauges read from {@code admission} at each scrape. */
    @Autowired
    public ServiceMetrics(MeterRegistry registry, Admission admission) {
        this(registry);
        registerAdmission(admission);
    }

    /**
     * The admission gauges: memory reserved and the budget, and per pool (a model, or a pipeline) the
     * requests admitted and waiting; pools defined later get theirs when they are defined.
     */
    void registerAdmission(Admission admission) {
        Gauge.builder("visionserve.admission.reserved", admission, Admission::reservedBytes)
                .description("Working memory reserved by the requests admitted now")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        Gauge.builder("visionserve.admission.budget", admission, Admission::budgetBytes)
                .description("Working memory all admitted requests may reserve together (visionserve.admission.memory-budget)")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        admission.onPoolDefined(pool -> {
            Gauge.builder("visionserve.admission.active", admission, a -> a.active(pool))
                    .description("Requests admitted in the pool, being decoded or run")
                    .tags("pool", pool)
                    .strongReference(true)
                    .register(registry);
            Gauge.builder("visionserve.admission.waiting", admission, a -> a.waiting(pool))
                    .description("Requests waiting in the pool's queue to be admitted")
                    .tags("pool", pool)
                    .strongReference(true)
                    .register(registry);
        });
    }

    /** A stage of a {@code /v1} request. */
    @Override
    public void recordStage(String model, String device, Stage stage, long nanos) {
        recordStage(model, device, stage, nanos, Protocol.V1);
    }

    /** Where a request of {@code protocol} records its stages ({@link StageTimer#finish}). */
    public StageTimer.Recorder recorder(Protocol protocol) {
        return (model, device, stage, nanos) -> recordStage(model, device, stage, nanos, protocol);
    }

    public void recordStage(String model, String device, Stage stage, long nanos, Protocol protocol) {
        timers.computeIfAbsent(model + '\0' + device + '\0' + stage.id() + '\0' + protocol.label(),
                        k -> Timer.builder("visionserve.stage")
                        .description("Time spent in each stage of a request")
                        .tags("model", model, "device", device, "stage", stage.id(), "protocol", protocol.label())
                        .serviceLevelObjectives(SLO_BUCKETS)
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A {@code /v1} request's end. */
    public void countRequest(String model, Outcome outcome) {
        countRequest(model, outcome, Protocol.V1);
    }

    public void countRequest(String model, Outcome outcome, Protocol protocol) {
        counters.computeIfAbsent(model + '\0' + outcome + '\0' + protocol.label(), k -> Counter.builder("visionserve.requests")
                        .description("Requests by model, outcome and protocol")
                        .tags("model", model, "outcome", id(outcome), "protocol", protocol.label())
                        .register(registry))
                .increment();
    }

    /** A client that closed its connection while sending its body ({@code upload}) or reading the answer ({@code response}). */
    public void countClientAbort(String stage) {
        counters.computeIfAbsent("\0abort\0" + stage, k -> Counter.builder("visionserve.client.aborts")
                        .description("Clients that closed the connection mid-request, by stage")
                        .tags("stage", stage)
                        .register(registry))
                .increment();
    }

    /** An upload cut for arriving below the minimum rate or stalling past the read timeout (answered 408). */
    public void countUploadTimeout() {
        counters.computeIfAbsent("\0upload-timeout", k -> Counter.builder("visionserve.upload.timeouts")
                        .description("Uploads cut for being too slow or stalled")
                        .register(registry))
                .increment();
    }

    /** A request refused 401, by reason ({@code security.AuthFailure} tags). */
    public void countAuthFailure(String reason) {
        counters.computeIfAbsent("\0auth\0" + reason, k -> Counter.builder("visionserve.auth.failures")
                        .description("Requests refused for missing or invalid credentials, by reason")
                        .tags("reason", reason)
                        .register(registry))
                .increment();
    }

    /** A request refused 429 by its caller's rate limit, by policy (a role, or {@code caller}). */
    public void countRateLimited(String policy) {
        counters.computeIfAbsent("\0rate\0" + policy, k -> Counter.builder("visionserve.rate.limited")
                        .description("Requests refused by a caller's rate limit, by policy")
                        .tags("policy", policy)
                        .register(registry))
                .increment();
    }

    /** Items in one batched run of the model (1 when a request ran alone in the batcher). */
    public void recordBatchSize(String model, int items) {
        batchSizes.computeIfAbsent(model, k -> DistributionSummary.builder("visionserve.batch.size")
                        .description("Items per batched model run")
                        .tags("model", model)
                        .serviceLevelObjectives(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
                        .register(registry))
                .record(items);
    }

    public void registerQueueDepth(String model, Supplier<Number> depth) {
        Gauge.builder("visionserve.queue.depth", depth)
                .description("Requests waiting in the model's runner queue")
                .tags("model", model)
                .strongReference(true)
                .register(registry);
    }

    /**
     * Asynchronous operations kept, by state (queued, running, succeeded, failed, cancelled): those of
     * the store, shared by every replica with the Redis store.
     */
    public void registerOperations(java.util.List<String> states, java.util.function.Function<String, Number> count) {
        for (String state : states) {
            Gauge.builder("visionserve.operations", () -> count.apply(state))
                    .description("Asynchronous operations kept, by state")
                    .tags("state", state)
                    .strongReference(true)
                    .register(registry);
        }
    }

    /** Volumes being segmented now (bounded by visionserve.segmentation.max-concurrent). */
    public void registerVolumesInFlight(Supplier<Number> inFlight) {
        Gauge.builder("visionserve.segmentation.in.flight", inFlight)
                .description("Volumes in the segmentation pipeline")
                .strongReference(true)
                .register(registry);
    }

    /** The model's info and load time, replacing what a previous load registered (device and status may differ). */
    public void registerModel(String model, String task, String device, String weights, String status,
                              double loadSeconds) {
        registry.find("visionserve.model.info").tag("model", model).meters().forEach(registry::remove);
        registry.find("visionserve.model.load").tag("model", model).meters().forEach(registry::remove);
        Tags tags = Tags.of("model", model, "device", device);
        Gauge.builder("visionserve.model.info", () -> 1)
                .description("Models the service knows of, with the device bound and the load status")
                .tags(tags.and("task", task, "weights", weights, "status", status))
                .strongReference(true)
                .register(registry);
        if (loadSeconds >= 0) {
            Gauge.builder("visionserve.model.load", () -> loadSeconds)
                    .description("Time to create the model's session and warm it up")
                    .baseUnit("seconds")
                    .tags(tags)
                    .strongReference(true)
                    .register(registry);
        }
    }

    /**
     * One series per state of a model's version, 1 for the state it is in and 0 for the others (none at 1
     * once it is gone): {@code state} reads it now.
     */
    public void registerModelState(String model, int version, Supplier<String> state, List<String> states) {
        for (String s : states) {
            Gauge.builder("visionserve.model.state", () -> s.equals(state.get()) ? 1 : 0)
                    .description("State of each version of each model: 1 for the state it is in")
                    .tags("model", model, "version", String.valueOf(version), "state", s)
                    .strongReference(true)
                    .register(registry);
        }
    }

    private static String id(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static Duration ms(double millis) {
        return Duration.ofNanos((long) (millis * 1e6));
    }
}
