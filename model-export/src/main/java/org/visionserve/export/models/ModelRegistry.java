package org.visionserve.export.models;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** Every model the exporter can build, by id. Each architecture family contributes its variants. */
public final class ModelRegistry {

    private static final Map<String, ModelDef> MODELS = new LinkedHashMap<>();

    static {
        Stream.of(InceptionNeXt.models(), InceptionV4.models(), InceptionResNetV2.models(), IFormer.models(),
                        ResNet.models(), TemporalInception.models(), TsLstm.models(),
                        IVDNet.models())
                .flatMap(List::stream)
                .forEach(m -> MODELS.put(m.id(), m));
    }

    private ModelRegistry() {
    }

    public static Collection<ModelDef> all() {
        return MODELS.values();
    }

    public static Optional<ModelDef> find(String id) {
        return Optional.ofNullable(MODELS.get(id));
    }

    public static ModelDef get(String id) {
        return find(id).orElseThrow(() -> new IllegalArgumentException(
                "unknown model '" + id + "'; known models: " + String.join(", ", MODELS.keySet())));
    }
}
