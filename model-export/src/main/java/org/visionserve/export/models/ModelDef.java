package org.visionserve.export.models;

import java.util.function.Consumer;
import org.visionserve.export.graph.Graph;

/**
 * One exportable model: its id (timm-style), what it is for, its reference implementation, the
 * preprocessing and labels a checkpoint of it expects, and the function that builds its graph
 * (declaring inputs, parameters and outputs on the given {@link Graph}).
 *
 * @param labels the name of a class list under {@code labels/} (e.g. {@code imagenet-1k}), or null
 * @param preprocessing the eval image transform, or null for models that do not take images
 * @param sliceInput how an MRI-slice model takes its input (modalities, slicing, sizes), or null
 */
public record ModelDef(String id, Task task, String family, String description, Reference reference,
                       Preprocessing preprocessing, String labels, Consumer<Graph> builder, SliceInput sliceInput) {

    /** A model that takes images (or features), not MRI slices. */
    public ModelDef(String id, Task task, String family, String description, Reference reference,
                    Preprocessing preprocessing, String labels, Consumer<Graph> builder) {
        this(id, task, family, description, reference, preprocessing, labels, builder, null);
    }

    /** Where the architecture and its parameter names come from. */
    public record Reference(String repo, String commit, String file, String constructor) {
    }
}
