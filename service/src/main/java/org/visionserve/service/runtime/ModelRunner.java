package org.visionserve.service.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The single way into a model's session: a fixed number of workers ({@code concurrency}) take jobs
 * from a bounded queue; a job that finds the queue full is refused at once ({@link ModelBusyException})
 * instead of piling up. The session is created once and shared by the workers (ONNX Runtime sessions
 * are safe for concurrent runs). Dynamic batching can later replace the queue's consumer without
 * changing callers.
 */
public final class ModelRunner implements AutoCloseable {

    /** Work done on a worker thread with the model's session. */
    @FunctionalInterface
    public interface Job<T> {
        T run(OrtSession session) throws OrtException;
    }

    /** A job's value with the time it waited in the queue and the time it ran. */
    public record Timed<T>(T value, long queueNanos, long runNanos) {
    }

    /** The first output of an inference, flattened, with its shape. */
    public record Output(float[] values, long[] shape) {
    }

    private final String modelId;
    private final OrtSession session;
    private final String inputName;
    private final int concurrency;
    private final int queueCapacity;
    private final ThreadPoolExecutor workers;
    private final Semaphore admission;

    public ModelRunner(String modelId, OrtSession session, int concurrency, int queueCapacity) {
        this.modelId = modelId;
        this.session = session;
        this.inputName = session.getInputNames().iterator().next();
        this.concurrency = concurrency;
        this.queueCapacity = queueCapacity;
        // Admission is counted, not left to the executor's queue: a worker between two jobs is not yet
        // waiting for the next, and a hand-off queue would refuse work then although a worker is free.
        this.admission = new Semaphore(concurrency + queueCapacity);
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(concurrency, concurrency, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "runner-" + modelId + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        workers.prestartAllCoreThreads();
    }

    /**
     * Runs {@code job} on a worker and waits for it.
     *
     * @throws ModelBusyException if every worker is busy and the queue is full
     * @throws InferenceException if the job failed
     */
    public <T> Timed<T> submit(Job<T> job) throws InterruptedException {
        if (!admission.tryAcquire()) {
            throw new ModelBusyException(modelId, concurrency, queueCapacity);
        }
        long submitted = System.nanoTime();
        Future<Timed<T>> future;
        try {
            future = workers.submit(() -> {
                try {
                    long started = System.nanoTime();
                    T value = job.run(session);
                    return new Timed<>(value, started - submitted, System.nanoTime() - started);
                } finally {
                    admission.release();
                }
            });
        } catch (RejectedExecutionException e) { // shut down
            admission.release();
            throw new ModelBusyException(modelId, concurrency, queueCapacity);
        }
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw new InferenceException(modelId, e.getCause());
        } catch (InterruptedException e) {
            // Not yet started: drop it and free its place; running: let it finish (ORT cannot be interrupted).
            if (future.cancel(false)) {
                admission.release();
            }
            throw e;
        }
    }

    /**
     * Runs the model on one input tensor. {@code input} should be a direct buffer in native order:
     * ONNX Runtime then reads it in place instead of copying it.
     */
    public Timed<Output> infer(FloatBuffer input, long[] shape) throws InterruptedException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        return submit(s -> {
            // Both native handles are freed here whatever happens, so failed requests leak nothing.
            try (OnnxTensor tensor = OnnxTensor.createTensor(env, input, shape);
                 OrtSession.Result result = s.run(Map.of(inputName, tensor))) {
                OnnxTensor out = (OnnxTensor) result.get(0);
                FloatBuffer values = out.getFloatBuffer();
                float[] copy = new float[values.remaining()];
                values.get(copy);
                return new Output(copy, out.getInfo().getShape());
            }
        });
    }

    /** Jobs waiting for a worker. */
    public int queueDepth() {
        return workers.getQueue().size();
    }

    public int concurrency() {
        return concurrency;
    }

    public int queueCapacity() {
        return queueCapacity;
    }

    /** Stops taking work, lets running jobs finish, then frees the session. */
    @Override
    public void close() {
        workers.shutdown();
        try {
            workers.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the session of " + modelId + " failed", e);
        }
    }
}
