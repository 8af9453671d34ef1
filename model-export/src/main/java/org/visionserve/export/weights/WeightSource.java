package org.visionserve.export.weights;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Collection;

/**
 * Where a graph's parameters come from. The architecture asks for each reference key with its
 * reference shape; a source either answers with exactly that tensor or fails naming the key.
 */
public interface WeightSource extends AutoCloseable {

    /** The float32 tensor stored under {@code key}; its shape must equal {@code shape}. */
    Tensor load(String key, long[] shape);

    /**
     * Called once the graph is built, with every key the architecture declared (parameters and
     * buffers). A checkpoint fails here if it holds keys the architecture does not know.
     */
    default void verifyComplete(Collection<String> declaredKeys) {
    }

    /** Where the weights came from, for the model's metadata. */
    Provenance provenance();

    @Override
    default void close() {
    }

    /** Provenance written to model.json: {@code seeded} with its seed, or a checkpoint file and its SHA-256. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Provenance(String source, Long seed, String file, String sha256, String format, String note) {

        public static Provenance seeded(long seed) {
            return new Provenance("seeded", seed, null, null, null,
                    "seeded demo weights (shared/spec/seeded-init.md), not trained: predictions are meaningless");
        }

        public static Provenance checkpoint(String file, String sha256, String format) {
            return new Provenance("checkpoint", null, file, sha256, format, null);
        }

        public boolean isSeeded() {
            return "seeded".equals(source);
        }
    }
}
