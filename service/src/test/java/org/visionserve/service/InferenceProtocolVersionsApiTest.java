package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.visionserve.export.ModelExporter;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.SeededWeights;
import org.visionserve.service.grpc.GrpcServer;
import org.visionserve.service.grpc.v2.GRPCInferenceServiceGrpc;
import org.visionserve.service.grpc.v2.ModelInferRequest;
import org.visionserve.service.grpc.v2.ModelInferResponse;
import org.visionserve.service.grpc.v2.ModelMetadataRequest;
import org.visionserve.service.grpc.v2.ModelReadyRequest;
import org.visionserve.service.grpc.v2.ModelRepositoryParameter;
import org.visionserve.service.grpc.v2.RepositoryIndexRequest;
import org.visionserve.service.grpc.v2.RepositoryIndexResponse;
import org.visionserve.service.grpc.v2.RepositoryModelLoadRequest;
import org.visionserve.service.grpc.v2.RepositoryModelUnloadRequest;
import org.visionserve.service.runtime.ModelRepository;
import org.visionserve.service.runtime.ModelRunner;
import tools.jackson.databind.JsonNode;

/**
 * Model versions over the Open Inference Protocol (REST {@code /v2} and gRPC) and Triton's repository
 * RPCs over gRPC, against a repository of its own: {@code versioned} (1 and 2 with different weights,
 * policy all), {@code pinned} (1 and 2, specific:1), {@code swap} and {@code cycled} (flat: version 1).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "visionserve.models.export-defaults=false",
        "visionserve.runtime.intra-op-threads=1",
        "visionserve.models.settings.versioned.version-policy=all",
        "visionserve.models.settings.pinned.version-policy=specific:1"})
class InferenceProtocolVersionsApiTest {

    private static Path repositoryDir;

    @LocalServerPort
    int port;

    @Autowired
    ModelRepository repository;

    @Autowired
    GrpcServer grpc;

    Http http;
    ManagedChannel channel;
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

    @DynamicPropertySource
    static void models(DynamicPropertyRegistry registry) {
        try {
            Path dir = Files.createTempDirectory("visionserve-oip-versions");
            Path sources = Files.createTempDirectory("visionserve-oip-versions-src");
            TestModels.deleteOnExit(dir);
            TestModels.deleteOnExit(sources);
            TestModels.exportAtto(sources.resolve("0"));
            try (SeededWeights w = new SeededWeights(1)) {
                ModelExporter.export(ModelRegistry.get(TestModels.ATTO), w, sources.resolve("1"), (k, n) -> { });
            }
            Path seed0 = sources.resolve("0").resolve(TestModels.ATTO);
            Path seed1 = sources.resolve("1").resolve(TestModels.ATTO);
            TestModels.copy(seed0, dir.resolve("swap"));
            TestModels.copy(seed0, dir.resolve("cycled"));
            TestModels.copy(seed0, dir.resolve("versioned").resolve("1"));
            TestModels.copy(seed1, dir.resolve("versioned").resolve("2"));
            TestModels.copy(seed0, dir.resolve("pinned").resolve("1"));
            TestModels.copy(seed1, dir.resolve("pinned").resolve("2"));
            repositoryDir = dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        registry.add("visionserve.models.dir", repositoryDir::toString);
    }

    @BeforeEach
    void awaitReady() throws InterruptedException {
        http = new Http(port);
        await("readiness", () -> http.get("/actuator/health/readiness").status() == 200);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext()
                .maxInboundMessageSize(16 << 20).build();
        stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within 2 minutes").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void eachVersionAnswersOnItsPathOverRestAndGrpc() {
        assertThat(stringList(http.get("/v2/models/versioned").json().get("versions"))).containsExactly("1", "2");
        assertThat(stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("pinned").build()).getVersionsList())
                .containsExactly("1", "2");
        assertThat(http.get("/v2/models/versioned/versions/1").json().get("name").asString()).isEqualTo("versioned");

        float[] v1 = restInfer("versioned", "1");
        float[] v2 = restInfer("versioned", "2");
        assertThat(v1).as("version 1 has other weights").isNotEqualTo(v2);
        assertThat(restInfer("versioned", null)).as("unversioned: the highest ready version").containsExactly(v2, within());
        assertThat(grpcInfer("versioned", "1")).containsExactly(v1, within());
        assertThat(grpcInfer("versioned", "2")).containsExactly(v2, within());
        assertThat(grpcInfer("versioned", "")).containsExactly(v2, within());
        assertThat(restInferResponse("versioned", "1").json().get("model_version").asString()).isEqualTo("1");
        assertThat(restInferResponse("versioned", null).json().get("model_version").asString()).isEqualTo("2");
        assertThat(grpcInferResponse("versioned", "").getModelVersion()).isEqualTo("2");

        // readiness per version: pinned's version 2 exists but its policy does not serve it
        assertThat(http.get("/v2/models/versioned/versions/1/ready").status()).isEqualTo(200);
        assertThat(http.get("/v2/models/pinned/versions/1/ready").status()).isEqualTo(200);
        Http.Response notServed = http.get("/v2/models/pinned/versions/2/ready");
        assertThat(notServed.status()).isEqualTo(503);
        assertThat(notServed.json().get("ready").asBoolean()).isFalse();
        assertThat(http.get("/v2/models/versioned/versions/3/ready").status()).isEqualTo(404);
        assertThat(http.get("/v2/models/versioned/versions/x/ready").status()).isEqualTo(404);
        assertThat(ready("pinned", "1")).isTrue();
        assertThat(ready("pinned", "2")).isFalse();
        assertThat(ready("pinned", "")).isTrue();
        assertThat(grpcError(() -> ready("versioned", "3"))).isEqualTo(Status.Code.NOT_FOUND);

        // inference on a version that does not exist, or is not served
        Http.Response unknown = restInferResponse("versioned", "3");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("error").asString()).contains("no version '3'").contains("1, 2");
        assertThat(grpcError(() -> grpcInfer("versioned", "3"))).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(grpcError(() -> grpcInfer("versioned", "latest"))).isEqualTo(Status.Code.NOT_FOUND);
        Http.Response unserved = restInferResponse("pinned", "2");
        assertThat(unserved.status()).isEqualTo(503);
        assertThat(unserved.json().get("error").asString()).contains("version 2 is not loaded");
        assertThat(grpcError(() -> grpcInfer("pinned", "2"))).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(grpcError(() -> stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("pinned")
                .setVersion("2").build()))).isEqualTo(Status.Code.UNAVAILABLE);
    }

    @Test
    void hotReloadUnderFourRestAndFourGrpcClientsFailsNoRequest() throws Exception {
        float[] expected = restInfer("swap", null);
        assertThat(grpcInfer("swap", null)).containsExactly(expected, within());

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger answered = new AtomicInteger();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            boolean rest = i % 2 == 0;
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        float[] got = rest ? restInfer("swap", null) : grpcInfer("swap", null);
                        assertThat(got).containsExactly(expected, within());
                    } catch (RuntimeException | AssertionError e) {
                        failures.add((rest ? "REST: " : "gRPC: ") + e);
                    }
                    answered.incrementAndGet();
                }
            }, (rest ? "rest-client-" : "grpc-client-") + i);
            t.setDaemon(true);
            t.start();
            clients.add(t);
        }
        await("clients running", () -> answered.get() >= 16);
        for (int reload = 0; reload < 3; reload++) {
            ModelRunner before = repository.get("swap").runner();
            if (reload % 2 == 0) {
                stub.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("swap").build());
            } else {
                assertThat(http.post("/v2/repository/models/swap/load", "application/json", new byte[0]).status())
                        .isEqualTo(200);
            }
            assertThat(repository.get("swap").runner()).as("swapped").isNotSameAs(before);
            int mark = answered.get();
            await("answers after the swap", () -> answered.get() >= mark + 16);
        }
        stop.set(true);
        for (Thread t : clients) {
            t.join(TimeUnit.MINUTES.toMillis(1));
        }
        assertThat(failures).isEmpty();
        assertThat(answered.get()).isGreaterThanOrEqualTo(64);
    }

    @Test
    void repositoryIndexUnloadAndLoadOverGrpc() throws InterruptedException {
        try (AuditLines audit = new AuditLines()) {
            List<String> lines = index(false);
            assertThat(lines).contains("versioned/1 READY ", "versioned/2 READY ", "pinned/1 READY ", "cycled/1 READY ");
            assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("pinned/2 UNAVAILABLE not in version-policy"));
            assertThat(index(true)).contains("versioned/1 READY ").noneSatisfy(l -> assertThat(l).startsWith("pinned/2"));

            stub.repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder().setModelName("cycled").build());
            assertThat(ready("cycled", "")).isFalse();
            assertThat(ready("cycled", "1")).isFalse();
            assertThat(grpcError(() -> grpcInfer("cycled", null))).isEqualTo(Status.Code.UNAVAILABLE);
            await("closed", () -> index(false).contains("cycled/1 UNAVAILABLE unloaded"));

            stub.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("cycled").build());
            assertThat(ready("cycled", "1")).isTrue();
            assertThat(grpcInfer("cycled", "1")).isNotEmpty();

            StatusRuntimeException unknown = catchThrowableOfType(StatusRuntimeException.class, () ->
                    stub.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("nope").build()));
            assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(unknown.getStatus().getDescription()).contains("no model 'nope'");
            StatusRuntimeException config = catchThrowableOfType(StatusRuntimeException.class, () ->
                    stub.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("cycled")
                            .putParameters("config", ModelRepositoryParameter.newBuilder().setStringParam("{}").build())
                            .build()));
            assertThat(config.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(config.getStatus().getDescription()).contains("'config'");
            stub.repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder().setModelName("cycled")
                    .putParameters("unload_dependents", ModelRepositoryParameter.newBuilder().setBoolParam(true).build())
                    .build());
            stub.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("cycled").build());
            assertThat(ready("cycled", "")).isTrue();

            assertThat(audit.lines()).filteredOn(l -> l.contains("model=cycled")).satisfiesExactly(
                    l -> assertThat(l).startsWith("action=unload model=cycled by=anonymous outcome=ok"),
                    l -> assertThat(l).startsWith("action=load model=cycled by=anonymous outcome=ok"),
                    l -> assertThat(l).startsWith("action=unload model=cycled by=anonymous outcome=ok"),
                    l -> assertThat(l).startsWith("action=load model=cycled by=anonymous outcome=ok"));
            assertThat(audit.lines()).anySatisfy(l -> assertThat(l)
                    .startsWith("action=load model=nope by=anonymous outcome=failed"));
        }
    }

    private List<String> index(boolean ready) {
        RepositoryIndexResponse r = stub.repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(ready).build());
        return r.getModelsList().stream().map(e -> e.getName() + "/" + e.getVersion() + " " + e.getState() + " "
                + e.getReason()).toList();
    }

    private boolean ready(String model, String version) {
        return stub.modelReady(ModelReadyRequest.newBuilder().setName(model).setVersion(version).build()).getReady();
    }

    private static Status.Code grpcError(Runnable call) {
        return catchThrowableOfType(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    private static org.assertj.core.data.Offset<Float> within() {
        return org.assertj.core.data.Offset.offset(1e-4f);
    }

    private static List<String> stringList(JsonNode array) {
        List<String> list = new ArrayList<>();
        array.forEach(n -> list.add(n.asString()));
        return list;
    }

    /** The model's input: one image's tensor, the same every time (a gradient, so the versions differ). */
    private ModelMetadata.TensorSpec input(String model) {
        return repository.get(model).metadata().inputs().get(0);
    }

    private long[] shape(String model) {
        long[] s = input(model).shape().clone();
        s[0] = 1;
        return s;
    }

    private byte[] tensor(String model) {
        long n = 1;
        for (long d : shape(model)) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate((int) n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat((i % 97) / 48f - 1);
        }
        return b.array();
    }

    private Http.Response restInferResponse(String model, String version) {
        byte[] data = tensor(model);
        String header = """
                {"inputs": [{"name": "%s", "datatype": "FP32", "shape": %s, "parameters": {"binary_data_size": %d}}]}"""
                .formatted(input(model).name(), java.util.Arrays.toString(shape(model)), data.length);
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(json);
        body.writeBytes(data);
        String path = "/v2/models/" + model + (version == null ? "" : "/versions/" + version) + "/infer";
        return http.post(path, "application/octet-stream", body.toByteArray(),
                "Inference-Header-Content-Length", Integer.toString(json.length));
    }

    private float[] restInfer(String model, String version) {
        Http.Response r = restInferResponse(model, version);
        if (r.status() != 200) {
            throw new IllegalStateException(r.status() + " " + r.body());
        }
        JsonNode data = r.json().get("outputs").get(0).get("data");
        float[] out = new float[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) data.get(i).asDouble();
        }
        return out;
    }

    private ModelInferResponse grpcInferResponse(String model, String version) {
        ModelInferRequest.InferInputTensor.Builder in = ModelInferRequest.InferInputTensor.newBuilder()
                .setName(input(model).name()).setDatatype("FP32");
        for (long d : shape(model)) {
            in.addShape(d);
        }
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model).addInputs(in)
                .addRawInputContents(ByteString.copyFrom(tensor(model)));
        if (version != null) {
            request.setModelVersion(version);
        }
        return stub.withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(request.build());
    }

    private float[] grpcInfer(String model, String version) {
        ModelInferResponse r = grpcInferResponse(model, version);
        ByteBuffer b = r.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / Float.BYTES];
        b.asFloatBuffer().get(out);
        return out;
    }
}
