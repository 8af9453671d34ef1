package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.rpc.RetryInfo;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.weights.SeededInit;
import org.visionserve.service.grpc.GrpcServer;
import org.visionserve.service.grpc.v2.GRPCInferenceServiceGrpc;
import org.visionserve.service.grpc.v2.InferParameter;
import org.visionserve.service.grpc.v2.InferTensorContents;
import org.visionserve.service.grpc.v2.ModelInferRequest;
import org.visionserve.service.grpc.v2.ModelInferResponse;
import org.visionserve.service.grpc.v2.ModelMetadataRequest;
import org.visionserve.service.grpc.v2.ModelMetadataResponse;
import org.visionserve.service.grpc.v2.ModelReadyRequest;
import org.visionserve.service.grpc.v2.ServerLiveRequest;
import org.visionserve.service.grpc.v2.ServerMetadataRequest;
import org.visionserve.service.grpc.v2.ServerMetadataResponse;
import org.visionserve.service.grpc.v2.ServerReadyRequest;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.RequestScope;

/**
 * The Open Inference Protocol over gRPC, through stubs generated from the project's {@code .proto},
 * against the real server (its gRPC port picked at random): health, metadata as {@code model.json}
 * says, {@code inception_next_tiny}'s logits equal to the golden ones (raw and typed contents), and
 * every error path with its status code.
 */
class GrpcInferenceApiTest extends ServiceTestBase {

    private static final String TINY = TestModels.TINY;
    /** Golden of the reference implementation, seeded weights and input (model-export's test data). */
    private static final Path GOLDEN = Path.of("../model-export/src/test/resources/golden/inception_next_tiny/logits.f32");
    private static final long[] GOLDEN_SHAPE = {2, 3, 224, 224};

    @Autowired
    private GrpcServer server;

    private ManagedChannel channel;
    private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;
    private final List<Admission.Ticket> held = new ArrayList<>();
    private RequestScope holder;

    @BeforeEach
    void connect() {
        assertThat(server.port()).as("a free port, not the default 8081").isPositive().isNotEqualTo(8081);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                .maxInboundMessageSize(16 << 20).build();
        stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void close() throws InterruptedException {
        held.forEach(Admission.Ticket::close);
        held.clear();
        if (holder != null) {
            holder.close();
        }
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    @Test
    void liveReadyAndServerMetadata() {
        assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
        assertThat(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
        assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName(TINY).build()).getReady()).isTrue();
        assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName(TINY).setVersion("1").build()).getReady()).isTrue();
        ServerMetadataResponse m = stub.serverMetadata(ServerMetadataRequest.getDefaultInstance());
        assertThat(m.getName()).isEqualTo("visionserve");
        assertThat(m.getVersion()).isEqualTo(System.getProperty("project.version"));
        assertThat(m.getExtensionsList()).contains("classification");
    }

    @Test
    void modelMetadataIsModelJson() throws Exception {
        ModelMetadata json = ModelMetadata.read(TestModels.repository().resolve(TINY).resolve(ModelMetadata.FILE_NAME));
        ModelMetadataResponse m = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(TINY).build());
        assertThat(m.getName()).isEqualTo(TINY);
        assertThat(m.getVersionsList()).containsExactly("1");
        assertThat(m.getPlatform()).isEqualTo("onnxruntime_onnx");
        assertThat(m.getInputsCount()).isEqualTo(json.inputs().size());
        for (int i = 0; i < json.inputs().size(); i++) {
            assertTensor(m.getInputs(i), json.inputs().get(i));
        }
        assertThat(m.getOutputsCount()).isEqualTo(json.outputs().size());
        for (int i = 0; i < json.outputs().size(); i++) {
            assertTensor(m.getOutputs(i), json.outputs().get(i));
        }
    }

    /** The golden input (seeded, as the reference ran it) sent as raw little-endian bytes. */
    @Test
    void rawContentsGiveTheGoldenLogits() throws Exception {
        String scrape = http.get("/actuator/prometheus").body();
        double ok = Metrics.counterOrZero(scrape, "visionserve_requests_total", "model", TINY, "outcome", "ok",
                "protocol", "v2-grpc");
        float[] input = goldenInput();
        ByteBuffer raw = ByteBuffer.allocate(input.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(input);
        ModelInferResponse r = stub.modelInfer(inferRequest(TINY).setId("raw-1")
                .addInputs(input("FP32", GOLDEN_SHAPE))
                .addRawInputContents(ByteString.copyFrom(raw.array())).build());

        assertThat(r.getModelName()).isEqualTo(TINY);
        assertThat(r.getModelVersion()).isEqualTo("1");
        assertThat(r.getId()).isEqualTo("raw-1");
        assertThat(r.getOutputsCount()).isEqualTo(1);
        assertThat(r.getOutputs(0).getDatatype()).isEqualTo("FP32");
        assertThat(r.getOutputs(0).getShapeList()).containsExactly(2L, 1000L);
        assertThat(r.getOutputs(0).hasContents()).as("answered in the request's form").isFalse();
        assertThat(r.getRawOutputContentsCount()).isEqualTo(1);
        float[] logits = new float[2000];
        r.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(logits);
        assertGolden(logits);

        scrape = http.get("/actuator/prometheus").body();
        assertThat(Metrics.value(scrape, "visionserve_requests_total", "model", TINY, "outcome", "ok", "protocol", "v2-grpc"))
                .isEqualTo(ok + 1);
        assertThat(Metrics.value(scrape, "visionserve_stage_seconds_count", "model", TINY, "stage", "total",
                "protocol", "v2-grpc")).isPositive();
    }

    /** The same input as typed fp32_contents: typed logits back. */
    @Test
    void typedContentsGiveTheGoldenLogits() throws Exception {
        float[] input = goldenInput();
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        for (float v : input) {
            c.addFp32Contents(v);
        }
        ModelInferResponse r = stub.modelInfer(inferRequest(TINY)
                .addInputs(input("FP32", GOLDEN_SHAPE).setContents(c))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(outputName())).build());
        assertThat(r.getRawOutputContentsCount()).isZero();
        assertThat(r.getId()).isEmpty();
        ModelInferResponse.InferOutputTensor out = r.getOutputs(0);
        assertThat(out.getShapeList()).containsExactly(2L, 1000L);
        assertThat(out.getContents().getFp32ContentsCount()).isEqualTo(2000);
        float[] logits = new float[2000];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = out.getContents().getFp32Contents(i);
        }
        assertGolden(logits);
    }

    /** An encoded photo as a BYTES input with Triton's classification parameter: top-k "score:index:label". */
    @Test
    void encodedImageWithClassificationGivesLabels() throws Exception {
        ModelMetadata json = ModelMetadata.read(TestModels.repository().resolve(TINY).resolve(ModelMetadata.FILE_NAME));
        ModelInferResponse r = stub.modelInfer(inferRequest(TINY)
                .addInputs(input("BYTES", new long[] {1}).setContents(InferTensorContents.newBuilder()
                        .addBytesContents(ByteString.copyFrom(Images.chelseaPng()))))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(outputName())
                        .putParameters("classification", InferParameter.newBuilder().setInt64Param(3).build()))
                .build());
        ModelInferResponse.InferOutputTensor out = r.getOutputs(0);
        assertThat(out.getDatatype()).isEqualTo("BYTES");
        assertThat(out.getContents().getBytesContentsCount()).isEqualTo(3);
        for (ByteString s : out.getContents().getBytesContentsList()) {
            String[] parts = s.toString(StandardCharsets.UTF_8).split(":", 3);
            assertThat(parts).hasSize(3);
            assertThat(parts[2]).isEqualTo(json.labels().classes().get(Integer.parseInt(parts[1])));
        }
    }

    @Test
    void unknownModelIsNotFound() {
        assertCode(() -> stub.modelInfer(inferRequest("no_such_model").addInputs(input("FP32", new long[] {1, 3, 224, 224}))
                .addRawInputContents(ByteString.copyFrom(new byte[3 * 224 * 224 * 4])).build()), Status.Code.NOT_FOUND, "no_such_model");
        assertCode(() -> stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("no_such_model").build()),
                Status.Code.NOT_FOUND, "no_such_model");
        assertCode(() -> stub.modelReady(ModelReadyRequest.newBuilder().setName("no_such_model").build()),
                Status.Code.NOT_FOUND, "no_such_model");
        assertCode(() -> stub.modelReady(ModelReadyRequest.newBuilder().setName(TINY).setVersion("7").build()),
                Status.Code.NOT_FOUND, "7");
    }

    @Test
    void badShapeDatatypeAndContentsAreInvalidArgument() {
        long[] wrong = {1, 3, 224, 225};
        assertCode(() -> stub.modelInfer(inferRequest(TINY).addInputs(input("FP32", wrong))
                .addRawInputContents(zeros(wrong, 4)).build()), Status.Code.INVALID_ARGUMENT, "shape");
        long[] one = {1, 3, 224, 224};
        assertCode(() -> stub.modelInfer(inferRequest(TINY).addInputs(input("FP64", one))
                .addRawInputContents(zeros(one, 8)).build()), Status.Code.INVALID_ARGUMENT, "FP64");
        assertCode(() -> stub.modelInfer(inferRequest(TINY).addInputs(input("FLOAT", one))
                .addRawInputContents(zeros(one, 4)).build()), Status.Code.INVALID_ARGUMENT, "FLOAT");
        // raw bytes that do not fill the shape
        assertCode(() -> stub.modelInfer(inferRequest(TINY).addInputs(input("FP32", one))
                .addRawInputContents(ByteString.copyFrom(new byte[100])).build()), Status.Code.INVALID_ARGUMENT, "100 bytes");
        // typed values that do not fill it
        assertCode(() -> stub.modelInfer(inferRequest(TINY).addInputs(input("FP32", one)
                .setContents(InferTensorContents.newBuilder().addFp32Contents(1f))).build()), Status.Code.INVALID_ARGUMENT, "fp32_contents");
        // a wrong input name, and an unknown output
        assertCode(() -> stub.modelInfer(inferRequest(TINY).addInputs(input("FP32", one).setName("pixels"))
                .addRawInputContents(zeros(one, 4)).build()), Status.Code.INVALID_ARGUMENT, "pixels");
        assertCode(() -> stub.modelInfer(inferRequest(TINY).addInputs(input("FP32", one))
                .addRawInputContents(zeros(one, 4))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("probabilities")).build()),
                Status.Code.INVALID_ARGUMENT, "probabilities");
        // raw contents for one input of two, or raw and typed mixed
        assertCode(() -> stub.modelInfer(inferRequest(TINY).addInputs(input("FP32", one)).addInputs(input("FP32", one))
                .addRawInputContents(zeros(one, 4)).build()), Status.Code.INVALID_ARGUMENT, "raw_input_contents");
    }

    /** Beyond max-request-bytes (3MB here) a message is refused before it is parsed. */
    @Test
    void aMessageOverTheRequestLimitIsResourceExhausted() {
        long[] shape = {6, 3, 224, 224}; // 3.6 MB
        assertCode(() -> stub.modelInfer(inferRequest(TINY).addInputs(input("FP32", shape))
                .addRawInputContents(zeros(shape, 4)).build()), Status.Code.RESOURCE_EXHAUSTED, "");
        assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    }

    /** A model whose every admission place is taken and that has no queue: refused at once, with when to retry. */
    @Test
    void aFullModelIsResourceExhaustedWithRetryInfo() throws Exception {
        double before = counterOrZero("visionserve_requests_total", "model", TestModels.BUSY, "outcome", "rejected",
                "protocol", "v2-grpc");
        holdEveryPlace(TestModels.BUSY);
        long[] one = {1, 3, 224, 224};
        StatusRuntimeException e = assertCode(() -> stub.modelInfer(inferRequest(TestModels.BUSY)
                .addInputs(input("FP32", one)).addRawInputContents(zeros(one, 4)).build()),
                Status.Code.RESOURCE_EXHAUSTED, "retry");
        com.google.rpc.Status details = StatusProto.fromThrowable(e);
        assertThat(details).isNotNull();
        RetryInfo retry = details.getDetails(0).unpack(RetryInfo.class);
        assertThat(retry.getRetryDelay().getSeconds()).isBetween(1L, 300L);
        assertThat(counter("visionserve_requests_total", "model", TestModels.BUSY, "outcome", "rejected",
                "protocol", "v2-grpc")).isEqualTo(before + 1);
    }

    /**
     * The client's deadline becomes the request's: waiting for admission, it ends there (and leaves the
     * queue) rather than at the model's 30 s deadline, and is counted as a timeout.
     */
    @Test
    void theClientDeadlineStopsTheWork() throws Exception {
        String model = TestModels.ATTO;
        double timeouts = counterOrZero("visionserve_requests_total", "model", model, "outcome", "timeout",
                "protocol", "v2-grpc");
        holdEveryPlace(model);
        long[] one = {1, 3, 224, 224};
        long start = System.nanoTime();
        assertCode(() -> stub.withDeadlineAfter(2, TimeUnit.SECONDS).modelInfer(inferRequest(model)
                .addInputs(input("FP32", one)).addRawInputContents(zeros(one, 4)).build()),
                Status.Code.DEADLINE_EXCEEDED, "");
        awaitTrue(() -> admission.waiting(model) == 0, "the request left the admission queue");
        awaitTrue(() -> counterOrZero("visionserve_requests_total", "model", model, "outcome", "timeout",
                "protocol", "v2-grpc") == timeouts + 1, "counted as a timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("far before the model's 30 s deadline")
                .isLessThan(Duration.ofSeconds(10));
    }

    /** A client that cancels its call stops its request's work, as a closed HTTP connection does. */
    @Test
    void aCancelledCallStopsTheWork() throws Exception {
        String model = TestModels.ATTO;
        double aborts = counterOrZero("visionserve_client_aborts_total", "stage", "processing");
        holdEveryPlace(model);
        long[] one = {1, 3, 224, 224};
        CompletableFuture<Throwable> failed = new CompletableFuture<>();
        io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
        call.run(() -> GRPCInferenceServiceGrpc.newStub(channel).modelInfer(inferRequest(model)
                .addInputs(input("FP32", one)).addRawInputContents(zeros(one, 4)).build(), new StreamObserver<>() {
                    @Override
                    public void onNext(ModelInferResponse value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        failed.complete(t);
                    }

                    @Override
                    public void onCompleted() {
                        failed.complete(null);
                    }
                }));
        awaitTrue(() -> admission.waiting(model) == 1, "the call waits for admission");
        call.cancel(null);
        assertThat(Status.fromThrowable(failed.get(10, TimeUnit.SECONDS)).getCode()).isEqualTo(Status.Code.CANCELLED);
        awaitTrue(() -> admission.waiting(model) == 0, "the cancelled request left the admission queue");
        awaitTrue(() -> counterOrZero("visionserve_client_aborts_total", "stage", "processing") == aborts + 1,
                "counted as a client abort");
    }

    private void holdEveryPlace(String model) throws InterruptedException {
        holder = RequestScope.withTimeout(Duration.ofMinutes(2));
        for (int i = 0; i < admission.limits(model).concurrency(); i++) {
            held.add(admission.admit(model, 0, holder));
        }
    }

    /** Polls for a state the server reaches within its watchdog interval; 10 s is far beyond that. */
    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static StatusRuntimeException assertCode(Runnable call, Status.Code code, String messagePart) {
        StatusRuntimeException[] caught = new StatusRuntimeException[1];
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
            assertThat(String.valueOf(e.getStatus().getDescription())).contains(messagePart).doesNotContain("Exception");
            caught[0] = e;
        });
        return caught[0];
    }

    private ModelInferRequest.Builder inferRequest(String model) {
        return ModelInferRequest.newBuilder().setModelName(model);
    }

    private ModelInferRequest.InferInputTensor.Builder input(String datatype, long[] shape) {
        ModelInferRequest.InferInputTensor.Builder b = ModelInferRequest.InferInputTensor.newBuilder()
                .setName(inputName()).setDatatype(datatype);
        Arrays.stream(shape).forEach(b::addShape);
        return b;
    }

    private String inputName() {
        return stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(TINY).build()).getInputs(0).getName();
    }

    private String outputName() {
        return stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(TINY).build()).getOutputs(0).getName();
    }

    private static ByteString zeros(long[] shape, int elementSize) {
        return ByteString.copyFrom(new byte[Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b) * elementSize)]);
    }

    private static float[] goldenInput() {
        return SeededInit.input("input", Math.toIntExact(Arrays.stream(GOLDEN_SHAPE).reduce(1, (a, b) -> a * b)), 0);
    }

    /**
     * Within the golden tolerance (model-export's GoldenCheck): every logit within
     * {@code 1e-3 x max(1, max|golden|)}, and the two items' difference within 1e-3 of its own maximum.
     */
    private static void assertGolden(float[] actual) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(GOLDEN)).order(ByteOrder.LITTLE_ENDIAN);
        float[] golden = new float[b.remaining() / Float.BYTES];
        b.asFloatBuffer().get(golden);
        assertThat(actual).hasSameSizeAs(golden);
        int half = golden.length / 2;
        double maxErr = 0, maxGolden = 0, maxDiffErr = 0, maxDiff = 0;
        for (int i = 0; i < golden.length; i++) {
            maxErr = Math.max(maxErr, Math.abs((double) golden[i] - actual[i]));
            maxGolden = Math.max(maxGolden, Math.abs(golden[i]));
            if (i < half) {
                double dg = (double) golden[i] - golden[i + half];
                maxDiff = Math.max(maxDiff, Math.abs(dg));
                maxDiffErr = Math.max(maxDiffErr, Math.abs(dg - ((double) actual[i] - actual[i + half])));
            }
        }
        System.out.printf("gRPC %s vs golden logits: max|err| %.3g (bound %.3g), item-diff max|err| %.3g (bound %.3g)%n",
                TINY, maxErr, 1e-3 * Math.max(1, maxGolden), maxDiffErr, 1e-3 * maxDiff);
        assertThat(maxErr).as("max |logit error|").isLessThanOrEqualTo(1e-3 * Math.max(1, maxGolden));
        assertThat(maxDiffErr).as("max |item difference error|").isLessThanOrEqualTo(1e-3 * maxDiff);
    }

    private static void assertTensor(ModelMetadataResponse.TensorMetadata t, ModelMetadata.TensorSpec spec) {
        assertThat(t.getName()).isEqualTo(spec.name());
        assertThat(t.getDatatype()).isEqualTo(spec.dtype() == null || spec.dtype().equals("float32") ? "FP32" : spec.dtype());
        assertThat(t.getShapeList()).containsExactly(Arrays.stream(spec.shape()).boxed().toArray(Long[]::new));
    }
}
