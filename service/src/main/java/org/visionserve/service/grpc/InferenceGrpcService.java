package org.visionserve.service.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.visionserve.service.grpc.v2.GRPCInferenceServiceGrpc;
import org.visionserve.service.grpc.v2.InferParameter;
import org.visionserve.service.grpc.v2.InferTensorContents;
import org.visionserve.service.grpc.v2.ModelInferRequest;
import org.visionserve.service.grpc.v2.ModelInferResponse;
import org.visionserve.service.grpc.v2.ModelMetadataRequest;
import org.visionserve.service.grpc.v2.ModelMetadataResponse;
import org.visionserve.service.grpc.v2.ModelReadyRequest;
import org.visionserve.service.grpc.v2.ModelReadyResponse;
import org.visionserve.service.grpc.v2.RepositoryIndexRequest;
import org.visionserve.service.grpc.v2.RepositoryIndexResponse;
import org.visionserve.service.grpc.v2.RepositoryModelLoadRequest;
import org.visionserve.service.grpc.v2.RepositoryModelLoadResponse;
import org.visionserve.service.grpc.v2.RepositoryModelUnloadRequest;
import org.visionserve.service.grpc.v2.RepositoryModelUnloadResponse;
import org.visionserve.service.grpc.v2.ServerLiveRequest;
import org.visionserve.service.grpc.v2.ServerLiveResponse;
import org.visionserve.service.grpc.v2.ServerMetadataRequest;
import org.visionserve.service.grpc.v2.ServerMetadataResponse;
import org.visionserve.service.grpc.v2.ServerReadyRequest;
import org.visionserve.service.grpc.v2.ServerReadyResponse;
import org.visionserve.service.inference.DataType;
import org.visionserve.service.inference.InferInput;
import org.visionserve.service.inference.InferRequest;
import org.visionserve.service.inference.InferResponse;
import org.visionserve.service.inference.InferenceCore;
import org.visionserve.service.inference.InferenceError;
import org.visionserve.service.inference.InvalidInferenceRequestException;
import org.visionserve.service.inference.OutputTensor;
import org.visionserve.service.inference.PreparedInference;
import org.visionserve.service.inference.RepositoryOperations;
import org.visionserve.service.inference.RequestedOutput;
import org.visionserve.service.metrics.Protocol;
import org.visionserve.service.metrics.ServiceMetrics;
import org.visionserve.service.metrics.ServiceMetrics.Outcome;
import org.visionserve.service.runtime.ModelRepository;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.security.Caller;
import org.visionserve.service.security.GrpcAuthentication;

/**
 * The Open Inference Protocol's {@code GRPCInferenceService} on the protocol-neutral {@link InferenceCore}
 * (the same validation, admission, batching, deadlines and stage metrics as REST's {@code /v2}): this
 * class only translates messages and errors.
 *
 * <p>An inference's deadline is the shorter of its model's task deadline ({@code visionserve.deadlines.*})
 * and the client's gRPC deadline; a client that cancels its call (or disconnects) stops the request's
 * work as a closed HTTP connection does. Tensor data comes as {@code raw_input_contents} (copied once,
 * from the message into the buffer ONNX Runtime reads) or typed {@code contents}; the answer uses the
 * same form as the request. Triton's repository RPCs run {@link RepositoryOperations}, as REST's
 * {@code /v2/repository} does.
 */
@Component
public class InferenceGrpcService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    private static final Logger log = LoggerFactory.getLogger(InferenceGrpcService.class);

    private final InferenceCore core;
    private final ServiceMetrics metrics;
    private final ModelRepository repository;
    private final RepositoryOperations operations;

    public InferenceGrpcService(InferenceCore core, ServiceMetrics metrics, ModelRepository repository,
                                RepositoryOperations operations) {
        this.core = core;
        this.metrics = metrics;
        this.repository = repository;
        this.operations = operations;
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
        answer(out, () -> ServerLiveResponse.newBuilder().setLive(core.live()).build());
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
        answer(out, () -> ServerReadyResponse.newBuilder().setReady(core.ready()).build());
    }

    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
        answer(out, () -> ModelReadyResponse.newBuilder()
                .setReady(core.modelReady(request.getName(), request.getVersion())).build());
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
        answer(out, () -> {
            InferenceCore.ServerMetadata m = core.serverMetadata();
            return ServerMetadataResponse.newBuilder().setName(m.name()).setVersion(m.version())
                    .addAllExtensions(m.extensions()).build();
        });
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
        answer(out, () -> {
            InferenceCore.ModelInfo m = core.modelMetadata(request.getName(), request.getVersion());
            ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder().setName(m.name())
                    .addAllVersions(m.versions()).setPlatform(m.platform());
            m.inputs().forEach(t -> b.addInputs(tensor(t)));
            m.outputs().forEach(t -> b.addOutputs(tensor(t)));
            return b.build();
        });
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
        Context call = Context.current();
        Deadline clientDeadline = call.getDeadline();
        long clientTimeout = clientDeadline == null ? -1 : Math.max(1, clientDeadline.timeRemaining(TimeUnit.NANOSECONDS));
        String model = repository.contains(request.getModelName()) ? request.getModelName() : ServiceMetrics.UNKNOWN_MODEL;
        Outcome outcome = Outcome.OK;
        try {
            out.onNext(infer(request, call, clientTimeout));
            out.onCompleted();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            InferenceError error = InferenceError.of(e);
            if (error.kind() == InferenceError.Kind.CANCELLED && endOfDeadline(clientDeadline, clientTimeout)) {
                // a client cancels its call when its deadline passes, which it counts from before the
                // server received the call: the cancel can come just before the server's deadline
                error = new InferenceError(InferenceError.Kind.DEADLINE_EXCEEDED, "the request did not finish within"
                        + " the client's deadline; its work was stopped", 0);
            }
            outcome = outcome(error);
            if (error.kind() == InferenceError.Kind.INTERNAL) {
                log.warn("gRPC ModelInfer on model '{}' failed", request.getModelName(), e);
            } else if (error.kind() == InferenceError.Kind.CANCELLED) {
                metrics.countClientAbort("processing");
            }
            out.onError(status(error));
        } finally {
            metrics.countRequest(model, outcome, Protocol.V2_GRPC);
        }
    }

    @Override
    public void repositoryIndex(RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> out) {
        answer(out, () -> {
            RepositoryIndexResponse.Builder b = RepositoryIndexResponse.newBuilder();
            for (RepositoryOperations.Entry e : operations.index(request.getReady())) {
                b.addModels(RepositoryIndexResponse.ModelIndex.newBuilder().setName(e.name())
                        .setVersion(e.version() == null ? "" : e.version()).setState(e.state()).setReason(e.reason()));
            }
            return b.build();
        });
    }

    @Override
    public void repositoryModelLoad(RepositoryModelLoadRequest request, StreamObserver<RepositoryModelLoadResponse> out) {
        answer(out, () -> {
            operations.load(request.getModelName(), request.getParametersMap().keySet(), caller());
            return RepositoryModelLoadResponse.getDefaultInstance();
        });
    }

    @Override
    public void repositoryModelUnload(RepositoryModelUnloadRequest request,
                                      StreamObserver<RepositoryModelUnloadResponse> out) {
        answer(out, () -> {
            operations.unload(request.getModelName(), request.getParametersMap().keySet(), caller());
            return RepositoryModelUnloadResponse.getDefaultInstance();
        });
    }

    /** The authenticated caller's name for the audit line (as REST's principal), else {@code anonymous}. */
    private static String caller() {
        Caller c = GrpcAuthentication.CALLER.get();
        return c == null ? "anonymous" : c.name();
    }

    private ModelInferResponse infer(ModelInferRequest request, Context call, long clientTimeout)
            throws InterruptedException {
        boolean raw = request.getRawInputContentsCount() > 0;
        if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
            throw new InvalidInferenceRequestException("raw_input_contents has " + request.getRawInputContentsCount()
                    + " entries for " + request.getInputsCount() + " inputs: one per input, in the same order");
        }
        java.time.Duration timeout = core.deadline(request.getModelName()); // NOT_FOUND before any validation
        InferRequest inferRequest = toCore(request, raw);
        if (clientTimeout > 0 && clientTimeout < timeout.toNanos()) {
            timeout = java.time.Duration.ofNanos(clientTimeout);
        }
        try (RequestScope scope = RequestScope.open(timeout, call::isCancelled);
             PreparedInference prepared = core.prepare(inferRequest, scope, Protocol.V2_GRPC)) {
            for (int i = 0; i < request.getInputsCount(); i++) {
                ModelInferRequest.InferInputTensor in = request.getInputs(i);
                if (prepared.needsData(in.getName())) {
                    fill(prepared.buffer(in.getName()), in, raw ? request.getRawInputContents(i) : null);
                }
            }
            return toProto(prepared.run(), raw);
        }
    }

    /**
     * The request in the core's terms. Numeric tensors' data stays in the message until the request is
     * admitted; BYTES elements (encoded images) are needed before, to measure them.
     */
    private static InferRequest toCore(ModelInferRequest request, boolean raw) {
        List<InferInput> inputs = new ArrayList<>(request.getInputsCount());
        for (int i = 0; i < request.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor in = request.getInputs(i);
            String what = "input '" + in.getName() + "'";
            DataType type = DataType.parse(in.getDatatype(), what);
            long[] shape = in.getShapeList().stream().mapToLong(Long::longValue).toArray();
            if (raw && in.hasContents()) {
                throw new InvalidInferenceRequestException(what + " has contents, but the request sends raw_input_contents:"
                        + " use one form for every input");
            }
            List<byte[]> bytes = null;
            if (type == DataType.BYTES) {
                bytes = raw ? splitBytes(request.getRawInputContents(i), what) : bytesContents(in, what);
            } else if (raw) {
                long expected = elements(shape) * type.byteSize();
                if (expected >= 0 && request.getRawInputContents(i).size() != expected) {
                    throw new InvalidInferenceRequestException(what + ": raw_input_contents holds "
                            + request.getRawInputContents(i).size() + " bytes, its shape and datatype need " + expected);
                }
            }
            inputs.add(new InferInput(in.getName(), type, shape, parameters(in.getParametersMap()), bytes));
        }
        List<RequestedOutput> outputs = request.getOutputsList().stream()
                .map(o -> new RequestedOutput(o.getName(), parameters(o.getParametersMap()))).toList();
        return new InferRequest(request.getModelName(), request.getModelVersion(), request.getId(),
                parameters(request.getParametersMap()), inputs, outputs);
    }

    /** Writes a numeric input into its buffer: raw bytes as they are (one copy), or the typed FP32 values. */
    private static void fill(ByteBuffer buffer, ModelInferRequest.InferInputTensor in, ByteString raw) {
        if (raw != null) {
            if (raw.size() != buffer.remaining()) {
                throw new InvalidInferenceRequestException("input '" + in.getName() + "': raw_input_contents holds "
                        + raw.size() + " bytes, the tensor needs " + buffer.remaining());
            }
            raw.copyTo(buffer.duplicate());
            return;
        }
        InferTensorContents c = in.getContents();
        int needed = buffer.remaining() / Float.BYTES;
        if (c.getFp32ContentsCount() != needed || otherContents(c) > 0) {
            throw new InvalidInferenceRequestException("input '" + in.getName() + "': an FP32 tensor of shape "
                    + in.getShapeList() + " needs " + needed + " values in contents.fp32_contents, got "
                    + c.getFp32ContentsCount() + (otherContents(c) > 0 ? " (and values in other contents fields)" : ""));
        }
        buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(toArray(c.getFp32ContentsList()));
    }

    private static float[] toArray(List<Float> values) {
        float[] a = new float[values.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = values.get(i);
        }
        return a;
    }

    private static int otherContents(InferTensorContents c) {
        return c.getBoolContentsCount() + c.getIntContentsCount() + c.getInt64ContentsCount() + c.getUintContentsCount()
                + c.getUint64ContentsCount() + c.getFp64ContentsCount() + c.getBytesContentsCount();
    }

    private static List<byte[]> bytesContents(ModelInferRequest.InferInputTensor in, String what) {
        InferTensorContents c = in.getContents();
        if (otherContents(c) != c.getBytesContentsCount() || c.getFp32ContentsCount() > 0) {
            throw new InvalidInferenceRequestException(what + ": a BYTES tensor carries its elements in contents.bytes_contents");
        }
        return c.getBytesContentsList().stream().map(ByteString::toByteArray).toList();
    }

    /** BYTES elements in raw form: each one its length as a 4-byte little-endian integer, then its bytes. */
    private static List<byte[]> splitBytes(ByteString raw, String what) {
        ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> elements = new ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < 4) {
                throw new InvalidInferenceRequestException(what + ": raw BYTES contents end inside an element's length");
            }
            int n = b.getInt();
            if (n < 0 || n > b.remaining()) {
                throw new InvalidInferenceRequestException(what + ": a raw BYTES element of " + Integer.toUnsignedString(n)
                        + " bytes runs past the end of its contents");
            }
            byte[] e = new byte[n];
            b.get(e);
            elements.add(e);
        }
        return elements;
    }

    /** The element count of a shape; -1 when it is no valid shape (the core says why). */
    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0 || (d > 0 && n > Long.MAX_VALUE / 16 / d)) {
                return -1;
            }
            n *= d;
        }
        return n;
    }

    private static Map<String, Object> parameters(Map<String, InferParameter> params) {
        Map<String, Object> m = new HashMap<>();
        params.forEach((k, p) -> {
            Object v = switch (p.getParameterChoiceCase()) {
                case BOOL_PARAM -> p.getBoolParam();
                case INT64_PARAM -> p.getInt64Param();
                case STRING_PARAM -> p.getStringParam();
                case DOUBLE_PARAM -> p.getDoubleParam();
                case UINT64_PARAM -> new java.math.BigInteger(Long.toUnsignedString(p.getUint64Param()));
                case PARAMETERCHOICE_NOT_SET -> null;
            };
            if (v != null) {
                m.put(k, v);
            }
        });
        return m;
    }

    private static ModelInferResponse toProto(InferResponse r, boolean raw) {
        ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName(r.model())
                .setModelVersion(r.version() == null ? "" : r.version());
        if (r.id() != null) {
            b.setId(r.id());
        }
        for (OutputTensor t : r.outputs()) {
            ModelInferResponse.InferOutputTensor.Builder o = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(t.name()).setDatatype(t.datatype().name());
            for (long d : t.shape()) {
                o.addShape(d);
            }
            if (raw) {
                b.addRawOutputContents(ByteString.copyFrom(t.raw()));
            } else if (t.datatype() == DataType.BYTES) {
                InferTensorContents.Builder c = InferTensorContents.newBuilder();
                t.strings().forEach(s -> c.addBytesContents(ByteString.copyFrom(s)));
                o.setContents(c);
            } else {
                InferTensorContents.Builder c = InferTensorContents.newBuilder();
                for (float v : t.values()) {
                    c.addFp32Contents(v);
                }
                o.setContents(c);
            }
            b.addOutputs(o);
        }
        return b.build();
    }

    private static ModelMetadataResponse.TensorMetadata tensor(InferenceCore.TensorMetadata t) {
        ModelMetadataResponse.TensorMetadata.Builder b = ModelMetadataResponse.TensorMetadata.newBuilder()
                .setName(t.name()).setDatatype(t.datatype().name());
        for (long d : t.shape()) {
            b.addShape(d);
        }
        return b.build();
    }

    /** Answers a call with one message, or with the status its failure maps to. */
    private static <T> void answer(StreamObserver<T> out, Supplier<T> body) {
        T value;
        try {
            value = body.get();
        } catch (RepositoryOperations.RepositoryRequestException e) {
            out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RuntimeException e) {
            InferenceError error = InferenceError.of(e);
            if (error.kind() == InferenceError.Kind.INTERNAL) {
                log.warn("gRPC call failed", e);
            }
            out.onError(status(error));
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }

    /**
     * Whether a cancelled call was within reach of its deadline: the last half of its time, at most the
     * last second (a call cancelled earlier was given up by its client).
     */
    private static boolean endOfDeadline(Deadline deadline, long timeoutNanos) {
        return deadline != null
                && deadline.timeRemaining(TimeUnit.NANOSECONDS) <= Math.min(TimeUnit.SECONDS.toNanos(1), timeoutNanos / 2);
    }

    private static Outcome outcome(InferenceError e) {
        return switch (e.kind()) {
            case INVALID_ARGUMENT, NOT_FOUND, TOO_LARGE, CANCELLED -> Outcome.CLIENT_ERROR;
            case UNAVAILABLE -> e.retryAfterSeconds() > 0 ? Outcome.REJECTED : Outcome.SERVER_ERROR;
            case DEADLINE_EXCEEDED -> Outcome.TIMEOUT;
            case INTERNAL -> Outcome.SERVER_ERROR;
        };
    }

    /**
     * The gRPC status of a protocol error. A model at capacity is RESOURCE_EXHAUSTED with a
     * {@code google.rpc.RetryInfo} saying when to retry (REST's Retry-After); a model not ready is
     * UNAVAILABLE; a request too large for any budget is RESOURCE_EXHAUSTED without retry information.
     */
    static StatusRuntimeException status(InferenceError e) {
        Code code = switch (e.kind()) {
            case INVALID_ARGUMENT -> Code.INVALID_ARGUMENT;
            case NOT_FOUND -> Code.NOT_FOUND;
            case TOO_LARGE -> Code.RESOURCE_EXHAUSTED;
            case UNAVAILABLE -> e.retryAfterSeconds() > 0 ? Code.RESOURCE_EXHAUSTED : Code.UNAVAILABLE;
            case DEADLINE_EXCEEDED -> Code.DEADLINE_EXCEEDED;
            case CANCELLED -> Code.CANCELLED;
            case INTERNAL -> Code.INTERNAL;
        };
        com.google.rpc.Status.Builder s = com.google.rpc.Status.newBuilder().setCode(code.getNumber())
                .setMessage(e.message());
        if (e.retryAfterSeconds() > 0) {
            s.addDetails(com.google.protobuf.Any.pack(RetryInfo.newBuilder()
                    .setRetryDelay(Duration.newBuilder().setSeconds(e.retryAfterSeconds())).build()));
        }
        return StatusProto.toStatusRuntimeException(s.build());
    }
}
