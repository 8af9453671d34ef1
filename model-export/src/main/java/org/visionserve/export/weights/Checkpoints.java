package org.visionserve.export.weights;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a checkpoint file by its format. */
public final class Checkpoints {

    private Checkpoints() {
    }

    public static CheckpointWeights open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new WeightsException("checkpoint " + file + " does not exist or is not a file");
        }
        String name = file.getFileName().toString().toLowerCase();
        if (name.endsWith(".safetensors")) {
            return SafetensorsWeights.open(file);
        }
        if (name.endsWith(".pth") || name.endsWith(".pt") || name.endsWith(".bin") || name.endsWith(".ckpt")) {
            return PyTorchWeights.open(file);
        }
        throw new WeightsException("unsupported checkpoint format: " + file.getFileName()
                + " (expected .safetensors, or a torch.save zip checkpoint: .pth, .pt, .bin, .ckpt)");
    }
}
