package org.visionserve.service.runtime;

import java.util.Collection;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which batch sizes pay on this host (Triton's Model Analyzer, at warm-up): the model's items/s at
 * each candidate size with every run slot busy, and the largest batch its runner then forms, the
 * smallest size within {@link #TOLERANCE} of the fastest. On a GPU a larger batch is much faster per
 * item; on a CPU it can be slower (its activations leave the caches: on the 2-core benchmark machine
 * batches of 8 ran 13% slower per image than single images, service/BENCHMARK.md), and a batch that is
 * not faster only adds latency.
 *
 * @param itemsPerSecond measured, by batch size
 * @param limit          the largest batch the runner forms
 */
public record BatchTuning(SortedMap<Integer, Double> itemsPerSecond, int limit) {

    /** A larger batch is used only if it is faster than every smaller one by more than this. */
    static final double TOLERANCE = 0.05;
    /** Items each slot runs per size measured (at least two runs): enough to average out one slow run. */
    static final int ITEMS_PER_SLOT = 8;

    public BatchTuning {
        itemsPerSecond = Collections.unmodifiableSortedMap(new TreeMap<>(itemsPerSecond));
    }

    /** The smallest size whose rate is within {@link #TOLERANCE} of the best rate. */
    static int choose(SortedMap<Integer, Double> rates) {
        double best = rates.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        return rates.entrySet().stream().filter(e -> e.getValue() >= (1 - TOLERANCE) * best)
                .mapToInt(SortedMap.Entry::getKey).min().orElseThrow();
    }

    /** 1, the powers of two below {@code max}, {@code max} and the preferred sizes up to it. */
    static TreeSet<Integer> candidates(int max, Collection<Integer> preferred) {
        TreeSet<Integer> sizes = new TreeSet<>();
        for (int s = 1; s < max; s *= 2) {
            sizes.add(s);
        }
        sizes.add(max);
        preferred.stream().filter(p -> p >= 1 && p <= max).forEach(sizes::add);
        return sizes;
    }

    /**
     * Measures {@code runner} (already warmed up at these sizes) on zero inputs of {@code itemShape}
     * (axis 0 is the batch) at each candidate size up to its maximum batch, limits its batches to the
     * chosen size and returns the measurement. Batch 1 is measured first and again last, its better
     * figure counting, so drift on a shared host does not favour the larger sizes.
     */
    public static BatchTuning tune(ModelRunner runner, long[] itemShape, RequestScope scope)
            throws InterruptedException {
        ModelRunner.Batching b = runner.batching();
        SortedMap<Integer, Double> rates = new TreeMap<>();
        TreeSet<Integer> sizes = candidates(b.maxBatchSize(), b.preferredBatchSizes());
        for (int size : sizes) {
            rates.put(size, measure(runner, itemShape, size, scope));
        }
        rates.merge(1, measure(runner, itemShape, 1, scope), Math::max);
        BatchTuning t = new BatchTuning(rates, choose(rates));
        runner.limitBatchSize(t);
        return t;
    }

    private static double measure(ModelRunner runner, long[] itemShape, int size, RequestScope scope)
            throws InterruptedException {
        long[] shape = itemShape.clone();
        shape[0] = size;
        int rounds = Math.max(2, (ITEMS_PER_SLOT + size - 1) / size);
        return runner.itemsPerSecond(DirectBuffers.zeros(shape), shape, rounds, scope);
    }
}
