package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * docs/openapi.json, from which the client SDKs are built (clients/java, clients/typescript), must be the
 * document the service serves. When the API changes, refresh the committed copy with
 * <pre>./mvnw -pl service -am test -Dtest=OpenApiDocumentTest -Dsurefire.failIfNoSpecifiedTests=false -Dopenapi.update=true</pre>
 * and commit it with the change. The comparison is of parsed JSON; the servers entry (the test server's
 * random port) is normalised to the service's default address.
 */
class OpenApiDocumentTest extends ServiceTestBase {

    static final String REFRESH = "./mvnw -pl service -am test -Dtest=OpenApiDocumentTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dopenapi.update=true";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void committedDocumentIsTheServedOne() throws IOException {
        Path committed = Path.of(System.getProperty("openapi.document", "../docs/openapi.json"));
        JsonNode served = normalised(fetch());
        if (Boolean.getBoolean("openapi.update")) {
            Files.writeString(committed, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(served) + "\n");
            System.out.println("OpenApiDocumentTest: wrote " + committed.toAbsolutePath().normalize());
            return;
        }
        assertThat(committed).as("the committed OpenAPI document; create it with: " + REFRESH).exists();
        List<String> differences = new ArrayList<>();
        diff("", normalised(JSON.readTree(committed.toFile())), served, differences);
        assertThat(differences)
                .as("%s is stale: it differs from /v3/api-docs at these JSON pointers; refresh it with: %s",
                        committed, REFRESH)
                .isEmpty();
    }

    /** Paths and schemas in name order, so the served (and committed) text is the same on every run. */
    @Test
    void documentListsPathsAndSchemasInNameOrder() {
        JsonNode doc = fetch();
        assertThat(List.copyOf(doc.get("paths").propertyNames())).isSortedAccordingTo(String::compareTo);
        assertThat(List.copyOf(doc.get("components").get("schemas").propertyNames()))
                .isSortedAccordingTo(String::compareTo);
    }

    /** What SDK generators and their users rely on: info, one tag per task, descriptions, typed errors. */
    @Test
    void everyOperationIsDescribedWithItsProblems() {
        JsonNode doc = fetch();
        JsonNode info = doc.get("info");
        assertThat(info.get("title").asString()).isEqualTo("visionserve");
        assertThat(info.get("version").asString()).isEqualTo(System.getProperty("project.version"));
        assertThat(info.get("description").asString()).contains("problem+json");
        assertThat(info.get("license").get("name").asString()).isEqualTo("Apache-2.0");
        assertThat(info.get("license").get("url").asString()).startsWith("https://www.apache.org/licenses/");
        assertThat(info.get("contact").get("url").asString()).startsWith("https://");

        Set<String> operationIds = new TreeSet<>();
        for (Map.Entry<String, JsonNode> path : doc.get("paths").properties()) {
            for (Map.Entry<String, JsonNode> method : path.getValue().properties()) {
                JsonNode op = method.getValue();
                String where = method.getKey() + " " + path.getKey();
                operationIds.add(op.get("operationId").asString());
                assertThat(op.path("description").asString()).as(where + " description").isNotBlank();
                assertThat(op.get("tags")).as(where + " tags").hasSize(1);
                for (JsonNode p : op.path("parameters")) {
                    assertThat(p.path("description").asString()).as(where + " parameter " + p.get("name")).isNotBlank();
                }
                List<String> errors = new ArrayList<>();
                for (Map.Entry<String, JsonNode> response : op.get("responses").properties()) {
                    if (response.getKey().compareTo("400") < 0) {
                        continue;
                    }
                    errors.add(response.getKey());
                    JsonNode problem = response.getValue().get("content").get("application/problem+json");
                    assertThat(problem).as(where + " " + response.getKey() + " problem+json").isNotNull();
                    assertThat(problem.get("schema").get("$ref").asString()).isEqualTo("#/components/schemas/Problem");
                    assertThat(problem.get("example").get("status").asInt()).as(where + " " + response.getKey() + " example")
                            .isEqualTo(Integer.parseInt(response.getKey()));
                }
                assertThat(errors).as(where + " error responses").contains("406", "500");
                if (method.getKey().equals("post")) { // the inference operations: each has a deadline (@Deadline)
                    assertThat(errors).as(where + " error responses").contains("503", "504");
                    assertThat(op.get("responses").get("504").get("content").get("application/problem+json")
                            .get("example").get("code").asString()).as(where + " 504").isEqualTo("deadline-exceeded");
                    List<String> parameters = new ArrayList<>();
                    op.path("parameters").forEach(p -> parameters.add(p.get("name").asString()));
                    assertThat(parameters).as(where + " parameters").contains("Request-Timeout", "timeout");
                }
            }
        }
        assertThat(operationIds).containsExactlyInAnyOrder("cancelOperation", "classify", "classifyBatch", "getModel",
                "getOperation", "getOperationResult", "listModels", "listOperations", "recognize", "segment",
                "streamOperationEvents", "classifyVersion", "classifyBatchVersion", "recognizeVersion", "segmentVersion");
        JsonNode paths = doc.get("paths");
        assertThat(paths.get("/v1/models/{id}/recognize").get("post").get("tags").get(0).asString())
                .isEqualTo("action-recognition");
        assertThat(paths.get("/v1/models/{id}/classify").get("post").get("tags").get(0).asString())
                .isEqualTo("classification");
        assertThat(doc.get("components").get("schemas").get("Problem").get("properties").has("code")).isTrue();
        // recognize and segment may run as operations: Prefer: respond-async, 202 with the Operation
        for (String task : List.of("/v1/models/{id}/recognize", "/v1/models/{id}/segment")) {
            JsonNode op = paths.get(task).get("post");
            List<String> parameters = new ArrayList<>();
            op.path("parameters").forEach(p -> parameters.add(p.get("name").asString()));
            assertThat(parameters).as(task).contains("Prefer");
            assertThat(op.get("responses").get("202").get("content").get("application/json").get("schema").get("$ref")
                    .asString()).isEqualTo("#/components/schemas/Operation");
        }
        assertThat(paths.get("/v1/operations/{id}").get("get").get("tags").get(0).asString()).isEqualTo("operations");
    }

    private JsonNode fetch() {
        Http.Response r = http.get("/v3/api-docs");
        assertThat(r.status()).isEqualTo(200);
        return r.json();
    }

    /** The servers entry says where the document was fetched from: the default address stands for any. */
    private static JsonNode normalised(JsonNode doc) {
        ObjectNode copy = (ObjectNode) doc.deepCopy();
        copy.putArray("servers").addObject().put("url", "http://localhost:8080")
                .put("description", "the service on its default port");
        return copy;
    }

    /** JSON pointers at which the two documents differ (object member order aside). */
    private static void diff(String at, JsonNode committed, JsonNode served, List<String> out) {
        if (out.size() >= 20) {
            return;
        }
        if (committed.isObject() && served.isObject()) {
            Set<String> names = new TreeSet<>(committed.propertyNames());
            names.addAll(served.propertyNames());
            for (String name : names) {
                String p = at + "/" + name.replace("~", "~0").replace("/", "~1");
                if (!committed.has(name) || !served.has(name)) {
                    out.add(p + (committed.has(name) ? " (only committed)" : " (only served)"));
                } else {
                    diff(p, committed.get(name), served.get(name), out);
                }
            }
        } else if (committed.isArray() && served.isArray() && committed.size() == served.size()) {
            for (int i = 0; i < committed.size(); i++) {
                diff(at + "/" + i, committed.get(i), served.get(i), out);
            }
        } else if (!committed.equals(served)) {
            out.add(at + ": " + abbreviate(committed) + " -> " + abbreviate(served));
        }
    }

    private static String abbreviate(JsonNode n) {
        String s = n.toString();
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
