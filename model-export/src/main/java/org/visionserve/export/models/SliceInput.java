package org.visionserve.export.models;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * How a model that segments 2-D slices of multi-modal MRI volumes takes its input (the counterpart
 * of {@link Preprocessing} for photos): which modality feeds which input channel, how a volume is
 * cut into slices, how intensities are scaled, and which slice sizes the graph accepts.
 *
 * @param modalities   input channels in order; channel c feeds the model's path c
 * @param slicing      the plane and axis the 2-D slices are cut along, one forward pass per slice
 * @param nativeSize   the slice height and width of the training data
 * @param sizeMultiple height and width must be positive multiples of it (check at request time)
 * @param dynamicSize  whether the graph's height and width are dynamic (else fixed at nativeSize)
 * @param valueRange   the range every channel is scaled to
 * @param intensity    how the reference scales each modality, and what is known of it
 * @param output       how to read the output tensor
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SliceInput(List<Modality> modalities, String slicing, int[] nativeSize, int sizeMultiple,
                         boolean dynamicSize, float[] valueRange, String intensity, String output) {

    /** One input channel: its short id, its name and the file of a data set that holds it. */
    public record Modality(String id, String name, String file) {
    }
}
