package org.visionserve.service.pipeline;

/** One of the top-k classes: its index in the model's output, its label (null without labels), its softmax probability. */
public record Prediction(int index, String label, double probability) {
}
