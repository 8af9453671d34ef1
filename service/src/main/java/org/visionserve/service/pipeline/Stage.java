package org.visionserve.service.pipeline;

import java.util.Locale;

/**
 * The stages of a request, one vocabulary for every pipeline: the {@code stage} label of
 * {@code visionserve_stage_seconds}. A pipeline records the stages it has; {@link #INFERENCE} and
 * {@link #QUEUE} are recorded under the model whose runner was waited for or ran (a clip's RGB and flow
 * feature models and its head), every other stage under the model the request named.
 */
public enum Stage {
    /** Reading the upload: headers measured, then pixels, frames or voxels decoded. */
    DECODE,
    /** Optical flow between a clip's frames. */
    FLOW,
    /** Building the model's input: resize, crop, normalise, batch. */
    PREPROCESS,
    /** Waiting: for admission, for a model's runner or batch, for the clip pipeline's natives. */
    QUEUE,
    /** Model runs. */
    INFERENCE,
    /** From the model's output to the answer's content: top-k, argmax, disc search. */
    POSTPROCESS,
    /** Writing files into the answer (a segmentation's mask, its preview). */
    ENCODE,
    /** From the first header read to the result, the HTTP transfer excluded. */
    TOTAL;

    private final String id = name().toLowerCase(Locale.ROOT);

    /** The label value, lower case. */
    public String id() {
        return id;
    }
}
