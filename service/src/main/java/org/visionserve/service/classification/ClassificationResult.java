package org.visionserve.service.classification;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import org.visionserve.service.pipeline.Prediction;

/**
 * What a classification request produced.
 *
 * @param device      the device the model ran on
 * @param weights     where the weights came from ({@code seeded} demo weights or a {@code checkpoint})
 * @param images      one entry per input image, in request order
 * @param timings     time of each stage for the whole request, in milliseconds
 */
public record ClassificationResult(String model, String device, String weights, List<ImageResult> images,
                                   StageTimings timings) {

    /** The top-k predictions of one image; {@code name} is the uploaded file name, if any. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ImageResult(String name, int width, int height, List<Prediction> predictions) {
    }

    /** Milliseconds spent in each stage; {@code total} runs from the first decode to the last postprocess. */
    public record StageTimings(double decode, double preprocess, double queue, double inference, double postprocess,
                               double total) {
    }
}
