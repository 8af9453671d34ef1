package org.visionserve.service.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import org.visionserve.service.pipeline.Prediction;

/** Softmax over one row of logits and its k most probable classes. */
public final class TopK {

    private TopK() {
    }

    /**
     * Softmax of {@code logits[offset, offset + n)} (shifted by the maximum, in double, so large
     * logits do not overflow) and the {@code k} largest probabilities, most probable first.
     */
    public static List<Prediction> softmaxTopK(float[] logits, int offset, int n, int k, List<String> labels) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        // A min-heap of the k best indices seen so far: O(n log k).
        PriorityQueue<Integer> heap = new PriorityQueue<>(k + 1, (a, b) -> Float.compare(logits[offset + a], logits[offset + b]));
        for (int i = 0; i < n; i++) {
            heap.add(i);
            if (heap.size() > k) {
                heap.poll();
            }
        }
        List<Prediction> out = new ArrayList<>(k);
        while (!heap.isEmpty()) {
            int i = heap.poll();
            String label = labels != null && i < labels.size() ? labels.get(i) : "class_" + i;
            out.add(0, new Prediction(i, label, Math.exp(logits[offset + i] - max) / sum));
        }
        return out;
    }
}
