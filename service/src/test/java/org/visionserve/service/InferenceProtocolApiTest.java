package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.web.client.RestClientResponseException;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.weights.SeededInit;
import org.visionserve.oip.client.ApiClient;
import org.visionserve.oip.client.api.DefaultApi;
import org.visionserve.oip.client.model.InferenceRequest;
import org.visionserve.oip.client.model.InferenceResponse;
import org.visionserve.oip.client.model.MetadataTensor;
import org.visionserve.oip.client.model.ModelMetadataResponse;
import org.visionserve.oip.client.model.RequestInput;
import org.visionserve.oip.client.model.RequestOutput;
import org.visionserve.oip.client.model.ResponseOutput;
import org.visionserve.oip.client.model.ServerMetadataResponse;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.RequestScope;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Open Inference Protocol over REST ({@code /v2}) through a client generated from the protocol's
 * OpenAPI document ({@code docs/inference-protocol-rest.yaml}), against the real server and models:
 * {@code inception_next_tiny} on the golden input gives the golden logits (the reference
 * implementation's, {@code model-export/src/test/resources/golden}) over JSON and over binary data;
 * metadata matches {@code model.json}; a JPEG gives the same top-k labels as {@code /classify}
 * through the {@code classification} parameter; every error path answers {@code {"error"}} with its status.
 * Binary requests go through the generated client's {@code invokeAPI}: OpenAPI cannot describe a body
 * that is JSON followed by raw bytes.
 */
class InferenceProtocolApiTest extends ServiceTestBase {

    private static final String TINY = TestModels.TINY;
    private static final int SIDE = 224;
    private static final int ITEM = 3 * SIDE * SIDE;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ApiClient client;
    private DefaultApi api;

    @BeforeEach
    void client() {
        client = new ApiClient();
        client.setBasePath("http://localhost:" + port);
        api = new DefaultApi(client);
    }

    @Test
    void serverMetadataAndHealth() {
        ServerMetadataResponse server = api.serverMetadata();
        assertThat(server.getName()).isEqualTo("visionserve");
        assertThat(server.getVersion()).isNotBlank();
        assertThat(server.getExtensions()).contains("binary_tensor_data", "classification");
        assertThat(api.serverLive().getLive()).isTrue();
        assertThat(api.serverReady().getReady()).isTrue();
        assertThat(api.modelReady(TINY).getReady()).isTrue();
        assertThat(api.modelVersionReady(TINY, "1").getName()).isEqualTo(TINY);
    }

    @Test
    void modelMetadataIsModelJson() throws IOException {
        for (String model : List.of(TINY, TestModels.ATTO, TestModels.IVD)) {
            ModelMetadata meta = metadata(model);
            for (ModelMetadataResponse m : List.of(api.modelMetadata(model), api.modelVersionMetadata(model, "1"))) {
                assertThat(m.getName()).isEqualTo(model);
                assertThat(m.getVersions()).containsExactly("1");
                assertThat(m.getPlatform()).isEqualTo("onnxruntime_onnx");
                assertTensors(m.getInputs(), meta.inputs());
                assertTensors(m.getOutputs(), meta.outputs());
            }
        }
    }

    @Test
    void goldenLogitsOverJson() throws IOException {
        float[] input = goldenInput();
        float[] golden = goldenLogits();
        String inputName = metadata(TINY).inputs().get(0).name();
        String outputName = metadata(TINY).outputs().get(0).name();
        int classes = golden.length / 2;
        // one item per request: the golden batch of two as JSON text is over the test's 3 MB body limit
        for (int item = 0; item < 2; item++) {
            List<Object> data = new ArrayList<>(ITEM);
            for (int i = 0; i < ITEM; i++) {
                data.add(input[item * ITEM + i]);
            }
            InferenceRequest request = new InferenceRequest().id("golden-" + item)
                    .addInputsItem(new RequestInput().name(inputName).datatype("FP32")
                            .shape(List.of(1L, 3L, (long) SIDE, (long) SIDE)).data(data).parameters(null))
                    .addOutputsItem(new RequestOutput().name(outputName).parameters(null));
            InferenceResponse r = item == 0 ? api.modelInfer(TINY, request, null, null)
                    : api.modelVersionInfer(TINY, "1", request, null, null);
            assertThat(r.getId()).isEqualTo("golden-" + item);
            assertThat(r.getModelName()).isEqualTo(TINY);
            assertThat(r.getModelVersion()).isEqualTo("1");
            ResponseOutput out = r.getOutputs().get(0);
            assertThat(out.getName()).isEqualTo(outputName);
            assertThat(out.getDatatype()).isEqualTo("FP32");
            assertThat(out.getShape()).containsExactly(1L, (long) classes);
            float[] logits = floats(out.getData());
            assertGolden(logits, Arrays.copyOfRange(golden, item * classes, (item + 1) * classes), "JSON item " + item);
        }
    }

    /** The whole golden batch in one request, its input and output as binary data. */
    @Test
    void goldenLogitsOverBinary() throws IOException {
        float[] input = goldenInput();
        float[] golden = goldenLogits();
        String inputName = metadata(TINY).inputs().get(0).name();
        String outputName = metadata(TINY).outputs().get(0).name();
        ByteBuffer tensor = ByteBuffer.allocate(input.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        tensor.asFloatBuffer().put(input);
        InferenceRequest request = new InferenceRequest().id("binary")
                .addInputsItem(new RequestInput().name(inputName).datatype("FP32")
                        .shape(List.of(2L, 3L, (long) SIDE, (long) SIDE)).data(null)
                        .parameters(Map.of("binary_data_size", tensor.capacity())))
                .addOutputsItem(new RequestOutput().name(outputName).parameters(Map.of("binary_data", true)));
        Binary r = postBinary("/v2/models/" + TINY + "/infer", request, tensor.array());
        assertThat(r.status).isEqualTo(200);
        assertThat(r.contentType).startsWith("application/octet-stream");
        JsonNode out = r.header.get("outputs").get(0);
        assertThat(r.header.get("id").asString()).isEqualTo("binary");
        assertThat(out.has("data")).isFalse();
        assertThat(out.get("parameters").get("binary_data_size").asLong()).isEqualTo(golden.length * 4L);
        assertThat(r.data.length).isEqualTo(golden.length * 4);
        float[] logits = new float[golden.length];
        ByteBuffer.wrap(r.data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(logits);
        assertGolden(logits, golden, "binary batch of 2");
    }

    /** Top-k from a JPEG in one call: a BYTES input runs the model's own preprocessing, as /classify does. */
    @Test
    void classificationOfAJpegGivesTheLabelsOfClassify() throws IOException {
        byte[] jpeg = Images.chelseaJpeg();
        JsonNode classify = http.post("/v1/models/" + TINY + "/classify?top_k=3", "image/jpeg", jpeg).json();
        JsonNode predictions = classify.get("images").get(0).get("predictions");
        String inputName = metadata(TINY).inputs().get(0).name();
        String outputName = metadata(TINY).outputs().get(0).name();
        List<String> labels = metadata(TINY).labels().classes();

        // binary data: a 4-byte little-endian length, then the file
        ByteBuffer element = ByteBuffer.allocate(4 + jpeg.length).order(ByteOrder.LITTLE_ENDIAN).putInt(jpeg.length).put(jpeg);
        InferenceRequest binary = new InferenceRequest()
                .addInputsItem(new RequestInput().name(inputName).datatype("BYTES").shape(List.of(1L)).data(null)
                        .parameters(Map.of("binary_data_size", element.capacity())))
                .addOutputsItem(new RequestOutput().name(outputName).parameters(Map.of("classification", 3)));
        Binary b = postBinary("/v2/models/" + TINY + "/infer", binary, element.array());
        assertThat(b.status).as(b.header.toString()).isEqualTo(200);
        List<String> fromBinary = new ArrayList<>();
        b.header.get("outputs").get(0).get("data").forEach(s -> fromBinary.add(s.asString()));

        // JSON: the file as base64 text
        InferenceRequest json = new InferenceRequest()
                .addInputsItem(new RequestInput().name(inputName).datatype("BYTES").shape(List.of(1L))
                        .data(List.of(Base64.getEncoder().encodeToString(jpeg)))
                        .parameters(Map.of("content_type", "base64")))
                .addOutputsItem(new RequestOutput().name(outputName).parameters(Map.of("classification", 3)));
        ResponseOutput out = api.modelInfer(TINY, json, null, null).getOutputs().get(0);
        assertThat(out.getDatatype()).isEqualTo("BYTES");
        assertThat(out.getShape()).containsExactly(1L, 3L);
        List<String> fromJson = out.getData().stream().map(String::valueOf).toList();
        assertThat(fromJson).isEqualTo(fromBinary);

        double previous = Double.POSITIVE_INFINITY;
        for (int rank = 0; rank < 3; rank++) {
            String[] parts = fromJson.get(rank).split(":", 3);
            int index = Integer.parseInt(parts[1]);
            assertThat(index).as("rank %d", rank).isEqualTo(predictions.get(rank).get("index").asInt());
            assertThat(parts[2]).isEqualTo(labels.get(index)).isEqualTo(predictions.get(rank).get("label").asString());
            double score = Double.parseDouble(parts[0]);
            assertThat(score).isLessThanOrEqualTo(previous);
            previous = score;
        }
    }

    /**
     * Every exported model is a raw tensor model: zeros of its input shapes (dynamic dimensions 1 for
     * the batch, 64 elsewhere) give its outputs with their shapes, also for a model of several inputs
     * or outputs (run alone, not batched). Nested data is the same tensor as flat data.
     */
    @Test
    void everyModelAnswersRawTensors() throws IOException {
        for (String model : List.of(TestModels.ATTO, TestModels.FEATURES, TestModels.IVD)) {
            ModelMetadata meta = metadata(model);
            InferenceRequest request = new InferenceRequest().id(model);
            for (ModelMetadata.TensorSpec in : meta.inputs()) {
                List<Long> shape = new ArrayList<>();
                long n = 1;
                for (int i = 0; i < in.shape().length; i++) {
                    long d = in.shape()[i] >= 0 ? in.shape()[i] : i == 0 ? 1 : 64;
                    shape.add(d);
                    n *= d;
                }
                request.addInputsItem(new RequestInput().name(in.name()).datatype("FP32").shape(shape)
                        .data(zeros((int) n)).parameters(null));
            }
            InferenceResponse r = api.modelInfer(model, request, null, null);
            assertThat(r.getId()).isEqualTo(model);
            assertThat(r.getOutputs()).extracting(ResponseOutput::getName)
                    .containsExactlyElementsOf(meta.outputs().stream().map(ModelMetadata.TensorSpec::name).toList());
            for (int o = 0; o < meta.outputs().size(); o++) {
                ResponseOutput out = r.getOutputs().get(o);
                long[] expected = meta.outputs().get(o).shape();
                assertThat(out.getShape()).hasSize(expected.length);
                long elements = 1;
                for (int i = 0; i < expected.length; i++) {
                    if (expected[i] >= 0) {
                        assertThat(out.getShape().get(i)).as("%s %s dim %d", model, out.getName(), i).isEqualTo(expected[i]);
                    }
                    elements *= out.getShape().get(i);
                }
                assertThat(out.getData()).hasSize((int) elements);
            }
        }

        // nested as the shape, [1][3][224][224], against the same values flat
        String atto = TestModels.ATTO;
        String inputName = metadata(atto).inputs().get(0).name();
        float[] values = SeededInit.input("nested", ITEM, 1);
        StringBuilder nested = new StringBuilder("[[");
        for (int c = 0; c < 3; c++) {
            nested.append(c > 0 ? ",[" : "[");
            for (int y = 0; y < SIDE; y++) {
                nested.append(y > 0 ? ",[" : "[");
                for (int x = 0; x < SIDE; x++) {
                    nested.append(x > 0 ? "," : "").append(values[(c * SIDE + y) * SIDE + x]);
                }
                nested.append(']');
            }
            nested.append(']');
        }
        nested.append("]]");
        Http.Response r = http.post("/v2/models/" + atto + "/infer", "application/json", ("{\"inputs\":[{\"name\":\""
                + inputName + "\",\"datatype\":\"FP32\",\"shape\":[1,3,224,224],\"data\":" + nested + "}]}")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<Object> flat = new ArrayList<>(ITEM);
        for (float v : values) {
            flat.add(v);
        }
        InferenceResponse fromFlat = api.modelInfer(atto, new InferenceRequest().addInputsItem(new RequestInput()
                .name(inputName).datatype("FP32").shape(List.of(1L, 3L, (long) SIDE, (long) SIDE)).data(flat)
                .parameters(null)), null, null);
        float[] a = floats(fromFlat.getOutputs().get(0).getData());
        List<Object> b = new ArrayList<>();
        r.json().get("outputs").get(0).get("data").forEach(v -> b.add(v.asDouble()));
        assertThat(floats(b)).containsExactly(a);
        assertThat(a).as("not all zero: the values reached the model").isNotEqualTo(new float[a.length]);
    }

    @Test
    void errorsAreTheProtocolsErrorObjectWithTheirStatus() throws IOException {
        String inputName = metadata(TestModels.ATTO).inputs().get(0).name();
        String outputName = metadata(TestModels.ATTO).outputs().get(0).name();
        String atto = TestModels.ATTO;
        Supplier<RequestInput> good = () -> new RequestInput().name(inputName).datatype("FP32")
                .shape(List.of(1L, 3L, (long) SIDE, (long) SIDE)).data(zeros(ITEM)).parameters(null);

        error(() -> api.modelMetadata("no_such_model"), 404, "no_such_model");
        error(() -> api.modelVersionMetadata(atto, "2"), 404, "version");
        error(() -> api.modelReady("no_such_model"), 404, "no_such_model");
        error(() -> api.modelVersionReady(atto, "0"), 404, "version");
        error(() -> api.modelInfer("no_such_model", new InferenceRequest().addInputsItem(good.get()), null, null),
                404, "no_such_model");
        error(() -> api.modelVersionInfer(atto, "7", new InferenceRequest().addInputsItem(good.get()), null, null),
                404, "version");
        error(() -> api.modelInfer(atto, new InferenceRequest().addInputsItem(good.get().datatype("INT64")), null, null),
                400, "datatype");
        error(() -> api.modelInfer(atto, new InferenceRequest().addInputsItem(good.get().datatype("FP128")), null, null),
                400, "unknown datatype");
        error(() -> api.modelInfer(atto, new InferenceRequest().addInputsItem(good.get()
                .shape(List.of(1L, 3L, 100L, 100L)).data(zeros(3 * 100 * 100))), null, null), 400, "shape");
        error(() -> api.modelInfer(atto, new InferenceRequest().addInputsItem(good.get().data(zeros(10))), null, null),
                400, "elements");
        error(() -> api.modelInfer(atto, new InferenceRequest().addInputsItem(good.get().name("other")), null, null),
                400, "unexpected input");
        error(() -> api.modelInfer(atto, new InferenceRequest().addInputsItem(good.get())
                .addOutputsItem(new RequestOutput().name("nope").parameters(null)), null, null), 400, "unexpected output");
        error(() -> api.modelInfer(atto, new InferenceRequest().addInputsItem(good.get())
                .addOutputsItem(new RequestOutput().name(outputName).parameters(Map.of("classification", -2))),
                null, null), 400, "classification");
        error(() -> api.modelInfer(atto, new InferenceRequest().inputs(List.of()), null, null), 400, "missing input");
        // an image that is not one: the decoder's refusal
        error(() -> api.modelInfer(atto, new InferenceRequest().addInputsItem(new RequestInput().name(inputName)
                .datatype("BYTES").shape(List.of(1L)).data(List.of("not an image")).parameters(null)), null, null),
                400, "image 0");

        // what the generated client cannot send: broken JSON, sizes that do not add up, oversized bodies
        raw("/v2/models/" + atto + "/infer", "{\"inputs\": [", null, 400, "not valid JSON");
        raw("/v2/models/" + atto + "/infer", "{\"inputs\": [{\"name\": \"x\", \"shape\": [1], \"datatype\": \"FP32\"}]}",
                null, 400, "no 'data'");
        String header = "{\"inputs\":[{\"name\":\"" + inputName + "\",\"shape\":[1,3,224,224],\"datatype\":\"FP32\","
                + "\"parameters\":{\"binary_data_size\":16}}]}";
        raw("/v2/models/" + atto + "/infer", header + "0123456789abcdef", header.length(), 400, "binary_data_size");
        raw("/v2/models/" + atto + "/infer", header, header.length() + 1, 400, "ended");
        Http.Response big = http.post("/v2/models/" + atto + "/infer", "application/json", new byte[3 * 1024 * 1024 + 1]);
        assertError(big.status(), big.body(), 413, "visionserve.limits.max-request-bytes");
        // shape bounded before anything is read or reserved
        RequestInput huge = good.get().shape(List.of(100000L, 3L, (long) SIDE, (long) SIDE)).data(null)
                .parameters(Map.of("binary_data_size", 0));
        Binary b = postBinary("/v2/models/" + atto + "/infer", new InferenceRequest().addInputsItem(huge), new byte[0]);
        assertError(b.status, b.header.toString(), 400, "binary_data_size");
        // what Spring MVC refuses before any handler, in the protocol's form too
        Http.Response noPath = http.get("/v2/models/" + atto + "/nothing");
        assertError(noPath.status(), noPath.body(), 404, "v2/models");
        Http.Response method = http.get("/v2/models/" + atto + "/infer");
        assertError(method.status(), method.body(), 405, "GET");
        // a deadline passed before admission
        error(() -> api.modelInfer(atto, new InferenceRequest().addInputsItem(good.get()), null, "0.000001"), 504,
                "deadline");
    }

    /** With every admission place of a model taken and no queue, inference is refused at once: 503, Retry-After. */
    @Test
    void atCapacityIs503WithRetryAfter() throws Exception {
        String busy = TestModels.BUSY;
        String inputName = metadata(busy).inputs().get(0).name();
        InferenceRequest request = new InferenceRequest().addInputsItem(new RequestInput().name(inputName)
                .datatype("FP32").shape(List.of(1L, 3L, (long) SIDE, (long) SIDE)).data(zeros(ITEM)).parameters(null));
        double rejected = counterOrZero("visionserve_requests_total", "model", busy, "outcome", "rejected",
                "protocol", "v2-rest");
        List<Admission.Ticket> held = new ArrayList<>();
        try (RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(1))) {
            for (int i = 0; i < admission.limits(busy).concurrency(); i++) {
                held.add(admission.admit(busy, 0, scope));
            }
            RestClientResponseException e = catchThrowableOfType(RestClientResponseException.class,
                    () -> api.modelInfer(busy, request, null, null));
            assertError(e.getStatusCode().value(), e.getResponseBodyAsString(), 503, busy);
            assertThat(Long.parseLong(e.getResponseHeaders().getFirst("Retry-After"))).isBetween(1L, 300L);
        } finally {
            held.forEach(Admission.Ticket::close);
        }
        assertThat(counter("visionserve_requests_total", "model", busy, "outcome", "rejected", "protocol", "v2-rest"))
                .isEqualTo(rejected + 1);
        assertThat(api.modelInfer(busy, request, null, null).getOutputs()).hasSize(1);
    }

    @Test
    void requestsAndStagesAreLabelledWithTheirProtocol() throws IOException {
        String atto = TestModels.ATTO;
        String inputName = metadata(atto).inputs().get(0).name();
        double before = counterOrZero("visionserve_requests_total", "model", atto, "outcome", "ok", "protocol", "v2-rest");
        double stages = counterOrZero("visionserve_stage_seconds_count", "model", atto, "stage", "inference",
                "protocol", "v2-rest");
        api.modelInfer(atto, new InferenceRequest().addInputsItem(new RequestInput().name(inputName).datatype("FP32")
                .shape(List.of(1L, 3L, (long) SIDE, (long) SIDE)).data(zeros(ITEM)).parameters(null)), null, null);
        assertThat(counter("visionserve_requests_total", "model", atto, "outcome", "ok", "protocol", "v2-rest"))
                .isEqualTo(before + 1);
        assertThat(counter("visionserve_stage_seconds_count", "model", atto, "stage", "inference", "protocol", "v2-rest"))
                .isEqualTo(stages + 1);
        // the task API's requests keep their series, labelled v1
        http.post("/v1/models/" + atto + "/classify", "image/png", Images.chelseaPng());
        assertThat(counter("visionserve_requests_total", "model", atto, "outcome", "ok", "protocol", "v1")).isPositive();
    }

    // ---- helpers

    private record Binary(int status, String contentType, JsonNode header, byte[] data) {
    }

    /** A binary-extension request through the generated client's invokeAPI: the JSON, then the bytes. */
    private Binary postBinary(String path, InferenceRequest request, byte[] data) {
        byte[] json = client.getJsonMapper().writeValueAsBytes(request);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(json);
        body.writeBytes(data);
        HttpHeaders headers = new HttpHeaders();
        headers.set("Inference-Header-Content-Length", Integer.toString(json.length));
        ResponseEntity<byte[]> r;
        try {
            r = client.invokeAPI(path, HttpMethod.POST, Map.of(), new LinkedMultiValueMap<>(), body.toByteArray(),
                    headers, new LinkedMultiValueMap<>(), new LinkedMultiValueMap<>(), List.of(MediaType.ALL),
                    MediaType.APPLICATION_OCTET_STREAM, new String[0], new ParameterizedTypeReference<byte[]>() { })
                    .toEntity(byte[].class);
        } catch (RestClientResponseException e) {
            return new Binary(e.getStatusCode().value(), String.valueOf(e.getResponseHeaders().getContentType()),
                    client.getJsonMapper().readTree(e.getResponseBodyAsByteArray()), new byte[0]);
        }
        byte[] all = r.getBody();
        String h = r.getHeaders().getFirst("Inference-Header-Content-Length");
        int headerLength = h == null ? all.length : Integer.parseInt(h);
        return new Binary(r.getStatusCode().value(), String.valueOf(r.getHeaders().getContentType()),
                client.getJsonMapper().readTree(Arrays.copyOf(all, headerLength)),
                Arrays.copyOfRange(all, headerLength, all.length));
    }

    private void raw(String path, String body, Integer headerLength, int status, String message) {
        Http.Response r = headerLength == null
                ? http.post(path, "application/json", body.getBytes(StandardCharsets.UTF_8))
                : http.post(path, "application/octet-stream", body.getBytes(StandardCharsets.UTF_8),
                        "Inference-Header-Content-Length", headerLength.toString());
        assertError(r.status(), r.body(), status, message);
    }

    private static void error(Runnable call, int status, String message) {
        RestClientResponseException e = catchThrowableOfType(RestClientResponseException.class, call::run);
        assertThat(e).as("expected %d (%s)", status, message).isNotNull();
        assertError(e.getStatusCode().value(), e.getResponseBodyAsString(), status, message);
    }

    private static void assertError(int actualStatus, String body, int status, String message) {
        assertThat(actualStatus).as(body).isEqualTo(status);
        JsonNode json = JSON.readTree(body);
        assertThat(json.properties()).as(body).hasSize(1);
        assertThat(json.get("error").asString()).contains(message).doesNotContain("Exception");
    }

    private static void assertTensors(List<MetadataTensor> actual, List<ModelMetadata.TensorSpec> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i).getName()).isEqualTo(expected.get(i).name());
            assertThat(actual.get(i).getDatatype()).isEqualTo("FP32");
            assertThat(actual.get(i).getShape()).containsExactly(Arrays.stream(expected.get(i).shape()).boxed().toArray(Long[]::new));
        }
    }

    /**
     * GoldenCheck's tolerance (model-export): every logit within {@code 1e-3 x max(1, max|golden|)}.
     */
    private static void assertGolden(float[] logits, float[] golden, String what) {
        assertThat(logits).hasSameSizeAs(golden);
        double scale = 1;
        double maxErr = 0;
        for (float g : golden) {
            scale = Math.max(scale, Math.abs(g));
        }
        for (int i = 0; i < golden.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(logits[i] - golden[i]));
        }
        System.out.printf("%s over /v2, %s: max |d logit| %.3e (tolerance %.3e)%n", TINY, what, maxErr, 1e-3 * scale);
        assertThat(maxErr).as(what).isLessThanOrEqualTo(1e-3 * scale);
    }

    private static float[] goldenInput() {
        return SeededInit.input("input", 2 * ITEM, 0);
    }

    private static float[] goldenLogits() throws IOException {
        Path file = Path.of(System.getProperty("golden.dir", "../model-export/src/test/resources/golden"))
                .resolve(TINY).resolve("logits.f32");
        byte[] bytes = Files.readAllBytes(file);
        float[] v = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    private static float[] floats(List<Object> data) {
        float[] v = new float[data.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = ((Number) data.get(i)).floatValue();
        }
        return v;
    }

    private static List<Object> zeros(int n) {
        List<Object> z = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            z.add(0f);
        }
        return z;
    }

    private static ModelMetadata metadata(String model) throws IOException {
        return ModelMetadata.read(TestModels.repository().resolve(model).resolve(ModelMetadata.FILE_NAME));
    }
}
