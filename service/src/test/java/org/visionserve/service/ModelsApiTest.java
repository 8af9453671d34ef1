package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** GET /v1/models and /v1/models/{id}, including the model exported on first run. */
class ModelsApiTest extends ServiceTestBase {

    @Test
    void listsEveryModelWithItsMetadata() {
        Http.Response r = http.get("/v1/models");
        assertThat(r.status()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        r.json().get("models").forEach(m -> ids.add(m.get("id").asString()));
        assertThat(ids).containsExactly(TestModels.BUSY, TestModels.FEATURES, TestModels.ATTO, TestModels.TINY,
                TestModels.IVD);

        JsonNode atto = find(r.json(), TestModels.ATTO);
        assertThat(atto.get("status").asString()).isEqualTo("ready");
        assertThat(atto.get("task").asString()).isEqualTo("classification");
        assertThat(atto.get("device").asString()).isEqualTo("cpu");
        assertThat(atto.get("parameterCount").asLong()).isEqualTo(4_156_520L);
        assertThat(atto.get("labels").get("count").asInt()).isEqualTo(1000);
        assertThat(atto.get("inputs").get(0).get("shape").toString()).isEqualTo("[-1,3,224,224]");
        assertThat(atto.get("preprocessing").get("resizeShorterSide").asInt()).isEqualTo(256);
        assertThat(atto.get("weights").get("source").asString()).isEqualTo("seeded");
        assertThat(atto.get("modelSha256").asString()).matches("[0-9a-f]{64}");
        assertThat(atto.get("runner").get("intraOpThreads").asInt()).isEqualTo(2);
        JsonNode batching = atto.get("runner").get("batching");
        assertThat(batching.get("maxBatchSize").asInt()).as("batching is on by default").isEqualTo(8);
        assertThat(batching.get("maxQueueDelayMicroseconds").asLong()).isEqualTo(2000);
        // warm-up measured every candidate size and limited the batches to one of them
        assertThat(batching.get("tune").asBoolean()).isTrue();
        JsonNode measured = batching.get("measuredItemsPerSecond");
        assertThat(measured.propertyNames()).containsExactly("1", "2", "4", "8");
        measured.valueStream().forEach(v -> assertThat(v.asDouble()).isPositive());
        assertThat(batching.get("limit").asInt()).isIn(1, 2, 4, 8);
        assertThat(atto.get("loadSeconds").asDouble()).isPositive();
    }

    @Test
    void firstRunExportedTheFullSizeDefaultWithSeededWeightsSaidSo() {
        Http.Response r = http.get("/v1/models/" + TestModels.TINY);
        assertThat(r.status()).isEqualTo(200);
        JsonNode tiny = r.json();
        assertThat(tiny.get("status").asString()).isEqualTo("ready");
        assertThat(tiny.get("parameterCount").asLong()).isEqualTo(28_055_680L);
        assertThat(tiny.get("weights").get("source").asString()).isEqualTo("seeded");
        assertThat(tiny.get("weights").get("note").asString()).contains("not trained");
        assertThat(TestModels.repository().resolve(TestModels.TINY).resolve("model.onnx")).exists();
    }

    @Test
    void perModelSettingsApply() {
        JsonNode busy = http.get("/v1/models/" + TestModels.BUSY).json();
        assertThat(busy.get("runner").get("concurrency").asInt()).isEqualTo(1);
        assertThat(busy.get("runner").get("queueCapacity").asInt()).isEqualTo(0);
        assertThat(busy.get("runner").get("batching").get("maxBatchSize").asInt()).isEqualTo(1);
        JsonNode admitted = busy.get("runner").get("admission");
        assertThat(admitted.get("concurrency").asInt())
                .as("per run slot the running batch and the next one, plus one request per core decoding")
                .isEqualTo(2 * 1 * 1 + Runtime.getRuntime().availableProcessors());
        assertThat(admitted.get("queueCapacity").asInt()).isZero();
        assertThat(admitted.get("active").asInt()).isZero();
        assertThat(admitted.get("waiting").asInt()).isZero();
    }

    @Test
    void unknownModelIs404Problem() {
        Http.Response r = http.get("/v1/models/resnet9000");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.json().get("code").asString()).isEqualTo("unknown-model");
        assertThat(r.json().get("detail").asString()).contains("resnet9000");
    }

    static JsonNode find(JsonNode list, String id) {
        for (JsonNode m : list.get("models")) {
            if (m.get("id").asString().equals(id)) {
                return m;
            }
        }
        throw new AssertionError("no model " + id + " in " + list);
    }
}
