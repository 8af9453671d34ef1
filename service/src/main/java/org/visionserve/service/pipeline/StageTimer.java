package org.visionserve.service.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One request's stage times: each {@link Stage} accumulates what is added to it (a stage may happen
 * several times: an image's decode per image, a runner's queue per batch), under the request's model
 * or, for queue and inference, under the model that was waited for or ran. {@link #finish} adds
 * {@link Stage#TOTAL} (the time since the timer was made) and records every stage once; the
 * response's {@code timings} read {@link #millis}.
 *
 * <p>Used by the request's thread only (work spread over a pool is timed by the thread waiting for it).
 */
public final class StageTimer {

    /** Where the stages go once the request succeeded: the {@code visionserve_stage_seconds} histogram. */
    @FunctionalInterface
    public interface Recorder {
        void recordStage(String model, String device, Stage stage, long nanos);
    }

    /** Work timed as one stage; {@code E} lets it throw its checked exception through. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T call() throws E;
    }

    /** A stage started by {@link #start}; {@link #stop} adds the time since. */
    public final class Lap {
        private final Stage stage;
        private final long started = System.nanoTime();

        private Lap(Stage stage) {
            this.stage = stage;
        }

        /** Adds the time since the lap started to its stage and returns it. */
        public long stop() {
            long nanos = System.nanoTime() - started;
            add(stage, nanos);
            return nanos;
        }
    }

    private record Key(String model, String device, Stage stage) {
    }

    private final String model;
    private final String device;
    private final long started = System.nanoTime();
    private final Map<Key, Long> nanos = new LinkedHashMap<>();
    private boolean finished;

    /** A request's timer: {@code model} is the model the request named, bound to {@code device}. */
    public StageTimer(String model, String device) {
        this.model = Objects.requireNonNull(model);
        this.device = Objects.requireNonNull(device);
    }

    /** A timer of work outside a request (tests, tools): its stages can be read, not recorded. */
    public StageTimer() {
        this.model = null;
        this.device = null;
    }

    /** Adds {@code nanos} to the request's model's {@code stage}. */
    public void add(Stage stage, long nanos) {
        add(model, device, stage, nanos);
    }

    /** Adds {@code nanos} to {@code stage} of another model of the request (a clip's feature models). */
    public void add(String model, String device, Stage stage, long nanos) {
        if (finished) {
            throw new IllegalStateException("the timer has finished");
        }
        if (stage == Stage.TOTAL) {
            throw new IllegalArgumentException("the total is the time since the timer was made");
        }
        this.nanos.merge(new Key(model, device, stage), Math.max(0, nanos), Long::sum);
    }

    /** Starts timing {@code stage} (for work that spans statements); stop the lap to add it. */
    public Lap start(Stage stage) {
        return new Lap(stage);
    }

    /** Runs {@code work} and adds its time to {@code stage} (if it returns: a failed request records nothing). */
    public <T, E extends Exception> T time(Stage stage, Work<T, E> work) throws E {
        long t = System.nanoTime();
        T result = work.call();
        add(stage, System.nanoTime() - t);
        return result;
    }

    /** Ends the request: adds {@link Stage#TOTAL} under the request's model and records every stage once. */
    public void finish(Recorder recorder) {
        if (model == null) {
            throw new IllegalStateException("a timer made without a request's model records nothing");
        }
        if (finished) {
            throw new IllegalStateException("the timer has finished");
        }
        nanos.put(new Key(model, device, Stage.TOTAL), System.nanoTime() - started);
        finished = true;
        nanos.forEach((k, v) -> recorder.recordStage(k.model, k.device, k.stage, v));
    }

    /** Nanoseconds of {@code stage}, over every model of the request. */
    public long nanos(Stage stage) {
        long sum = 0;
        for (Map.Entry<Key, Long> e : nanos.entrySet()) {
            if (e.getKey().stage == stage) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    /** Nanoseconds of {@code stage} under {@code model} alone. */
    public long nanos(String model, Stage stage) {
        long sum = 0;
        for (Map.Entry<Key, Long> e : nanos.entrySet()) {
            if (e.getKey().stage == stage && Objects.equals(model, e.getKey().model)) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    /** {@link #nanos(Stage)} in milliseconds, to the microsecond: what the responses' {@code timings} show. */
    public double millis(Stage stage) {
        return millis(nanos(stage));
    }

    public double millis(String model, Stage stage) {
        return millis(nanos(model, stage));
    }

    static double millis(long nanos) {
        return Math.round(nanos / 1e3) / 1e3;
    }
}
