package org.visionserve.export;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.visionserve.export.models.ModelDef;
import org.visionserve.export.models.Preprocessing;
import org.visionserve.export.models.SliceInput;
import org.visionserve.export.models.Task;
import org.visionserve.export.weights.WeightSource.Provenance;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * What {@code model.json} says of an exported {@code model.onnx}: everything the service needs to
 * serve it (task, tensors, preprocessing, labels) and to tell users what it is serving (weights
 * provenance with checksum, parameter count, exporter).
 *
 * @param inputs  graph inputs; a dimension of -1 is dynamic (the batch)
 * @param sliceInput modalities, slicing and accepted sizes of an MRI-slice model (absent for others)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelMetadata(int formatVersion, String id, Task task, String family, String description,
                            ModelDef.Reference reference, List<TensorSpec> inputs, List<TensorSpec> outputs,
                            LabelSet labels, Preprocessing preprocessing, Provenance weights,
                            long parameterCount, long bufferCount, int opset, String exporterVersion,
                            String exportedAt, String modelSha256, SliceInput sliceInput) {

    /** Metadata of a model that takes images (or features): no {@code sliceInput}. */
    public ModelMetadata(int formatVersion, String id, Task task, String family, String description,
                         ModelDef.Reference reference, List<TensorSpec> inputs, List<TensorSpec> outputs,
                         LabelSet labels, Preprocessing preprocessing, Provenance weights,
                         long parameterCount, long bufferCount, int opset, String exporterVersion,
                         String exportedAt, String modelSha256) {
        this(formatVersion, id, task, family, description, reference, inputs, outputs, labels, preprocessing,
                weights, parameterCount, bufferCount, opset, exporterVersion, exportedAt, modelSha256, null);
    }

    public static final int FORMAT_VERSION = 1;
    public static final String FILE_NAME = "model.json";

    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    /** A graph input or output: name, shape (-1 = dynamic) and element type. */
    public record TensorSpec(String name, long[] shape, String dtype) {
    }

    /** The class names of the model's outputs, in index order. */
    public record LabelSet(String name, List<String> classes) {
    }

    public void write(Path file) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(this));
    }

    public static ModelMetadata read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), ModelMetadata.class);
    }
}
