package org.visionserve.service.inference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.info.BuildProperties;
import org.springframework.stereotype.Service;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.ModelMetadata.TensorSpec;
import org.visionserve.export.models.Preprocessing;
import org.visionserve.export.models.Task;
import org.visionserve.service.classification.ClassificationService;
import org.visionserve.service.classification.ImageInput;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.metrics.Protocol;
import org.visionserve.service.metrics.ServiceMetrics;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.ModelLease;
import org.visionserve.service.runtime.ModelRepository;
import org.visionserve.service.runtime.ModelStatus;
import org.visionserve.service.runtime.ModelUnavailableException;
import org.visionserve.service.runtime.ModelVersion;
import org.visionserve.service.runtime.ModelsHealthIndicator;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.runtime.ServedModel;

/**
 * The Open Inference Protocol (KServe v2) independent of its transport: server and model metadata,
 * health, and inference on every model of the repository as a raw tensor model (its inputs and
 * outputs as {@code model.json} lists them). REST and gRPC both translate their messages to
 * {@link InferRequest} and back from {@link InferResponse}, and their errors through
 * {@link InferenceError#of}.
 *
 * <p>An inference goes {@link #prepare} (validate against the model, admit by cost, lease the input
 * buffers), then the transport writes each numeric input's bytes into
 * {@link PreparedInference#buffer} (straight from the wire: one copy), then
 * {@link PreparedInference#run}; close the prepared inference in every case.
 */
@Service
public class InferenceCore {

    /** The protocol extensions this server supports, as server metadata lists them. */
    public static final List<String> EXTENSIONS = List.of("binary_tensor_data", "classification");
    /** The platform model metadata names (the protocol's {@code <framework>_<format>} convention). */
    public static final String PLATFORM = "onnxruntime_onnx";

    /** The server's name and version, and the protocol extensions it supports. */
    public record ServerMetadata(String name, String version, List<String> extensions) {
    }

    /** A tensor as model metadata describes it: -1 is a dynamic dimension. */
    public record TensorMetadata(String name, DataType datatype, long[] shape) {
    }

    /** A model's metadata: its name, versions, platform, inputs and outputs. */
    public record ModelInfo(String name, List<String> versions, String platform, List<TensorMetadata> inputs,
                            List<TensorMetadata> outputs) {
    }

    private final ModelRepository repository;
    private final ModelsHealthIndicator health;
    private final ClassificationService images;
    private final Admission admission;
    private final ServiceMetrics metrics;
    private final VisionServeProperties props;
    private final String version;

    public InferenceCore(ModelRepository repository, ModelsHealthIndicator health, ClassificationService images,
                         Admission admission, ServiceMetrics metrics, VisionServeProperties props,
                         ObjectProvider<BuildProperties> build) {
        this.repository = repository;
        this.health = health;
        this.images = images;
        this.admission = admission;
        this.metrics = metrics;
        this.props = props;
        BuildProperties b = build.getIfAvailable();
        this.version = b != null ? b.getVersion() : "unknown";
    }

    public ServerMetadata serverMetadata() {
        return new ServerMetadata("visionserve", version, EXTENSIONS);
    }

    /** The server can answer (it is running). */
    public boolean live() {
        return true;
    }

    /** Every enabled model loaded and ready: the same condition as the readiness probe's models check. */
    public boolean ready() {
        return Status.UP.equals(health.health().getStatus());
    }

    /**
     * The metadata of the model's version, or (version null or empty) of its highest serving one; the
     * versions listed are every version the repository found.
     *
     * @throws org.visionserve.service.runtime.UnknownModelException if there is no such model
     * @throws UnknownVersionException                               if it has no such version
     * @throws ModelUnavailableException if the version is not loaded (its files are read when it loads), or
     *                                   no model.json of the model was read yet
     */
    public ModelInfo modelMetadata(String model, String version) {
        ServedModel m = repository.get(model);
        ModelVersion v = ModelVersions.find(m, version);
        ModelMetadata meta = v == null ? m.metadata() : v.metadata();
        if (meta == null) {
            throw v == null ? new ModelUnavailableException(m) : new ModelUnavailableException(m, v);
        }
        return new ModelInfo(m.id(), ModelVersions.of(m), PLATFORM, describe(meta.inputs()), describe(meta.outputs()));
    }

    /**
     * Whether the model's version (or, version null or empty, any version of it) is ready for inference;
     * unknown ones throw as {@link #modelMetadata} does.
     */
    public boolean modelReady(String model, String version) {
        ServedModel m = repository.get(model);
        ModelVersion v = ModelVersions.find(m, version);
        if (v == null || m.status() == ModelStatus.DISABLED) {
            return m.status() == ModelStatus.READY;
        }
        return v.status() == ModelStatus.READY;
    }

    /**
     * The configured deadline of inference on {@code model}: its task's ({@code visionserve.deadlines.*});
     * a transport shortens it with the client's own.
     */
    public Duration deadline(String model) {
        ServedModel m = repository.get(model);
        Task task = m.metadata() == null ? Task.CLASSIFICATION : m.metadata().task();
        VisionServeProperties.Deadlines d = props.deadlines();
        return switch (task) {
            case SEGMENTATION -> d.segment();
            case ACTION_FEATURES, ACTION_RECOGNITION -> d.recognize();
            default -> d.classify();
        };
    }

    /**
     * Validates the request against the model (input names, datatypes, shapes; requested outputs and
     * their parameters), admits it by its cost (input and output tensors, and for encoded images their
     * decoding) into the model's admission pool, and leases a direct buffer per numeric input. Nothing
     * of the tensor data has to be read yet.
     *
     * @throws InvalidInferenceRequestException for a request the model cannot take (400)
     * @throws TensorTooLargeException          for a tensor over the buffer limit (413)
     * @see InferenceError#of for every other failure
     */
    public PreparedInference prepare(InferRequest request, RequestScope scope, Protocol protocol)
            throws InterruptedException {
        ServedModel model = repository.get(request.model());
        ModelVersion named = ModelVersions.find(model, request.version());
        // held until the prepared inference closes: a reload or unload meanwhile does not close its session
        ModelLease lease = repository.acquire(model.id(), named == null ? null : named.number());
        try {
            return prepare(request, model, lease, scope, protocol);
        } catch (RuntimeException | InterruptedException | Error e) {
            lease.close();
            throw e;
        }
    }

    private PreparedInference prepare(InferRequest request, ServedModel model, ModelLease lease, RequestScope scope,
                                      Protocol protocol) throws InterruptedException {
        ModelMetadata meta = lease.metadata();
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        meta.inputs().forEach(t -> specs.put(t.name(), t));

        List<PreparedInference.Input> inputs = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        long cost = 0;
        for (InferInput in : request.inputs()) {
            TensorSpec spec = specs.get(in.name());
            if (spec == null) {
                throw new InvalidInferenceRequestException("unexpected input '" + in.name() + "': model '"
                        + model.id() + "' has the inputs " + specs.keySet());
            }
            if (!seen.add(in.name())) {
                throw new InvalidInferenceRequestException("input '" + in.name() + "' is given twice");
            }
            DataType expected = DataType.ofModelDtype(spec.dtype());
            PreparedInference.Input p;
            if (in.datatype() == DataType.BYTES && expected == DataType.FP32 && imageInput(meta, spec)) {
                p = mediaInput(in, meta);
            } else {
                if (in.datatype() != expected) {
                    throw new InvalidInferenceRequestException("input '" + in.name() + "': datatype " + in.datatype()
                            + " does not match the model's " + expected
                            + (imageInput(meta, spec) ? " (or BYTES holding encoded images)" : ""));
                }
                if (expected != DataType.FP32) {
                    throw new InvalidInferenceRequestException("input '" + in.name() + "': datatype " + expected
                            + " is not supported by this server");
                }
                checkShape(in, spec);
                p = PreparedInference.Input.numeric(in.name(), in.datatype(), in.shape(), elements(in.name(), in.shape()));
            }
            cost += p.costBytes();
            inputs.add(p);
        }
        if (!seen.containsAll(specs.keySet())) {
            List<String> missing = specs.keySet().stream().filter(n -> !seen.contains(n)).toList();
            throw new InvalidInferenceRequestException("missing input(s) " + missing + " of model '" + model.id() + "'");
        }

        List<TensorSpec> outputSpecs = meta.outputs();
        List<RequestedOutput> wanted = new ArrayList<>();
        if (request.outputs().isEmpty()) {
            outputSpecs.forEach(o -> wanted.add(RequestedOutput.named(o.name())));
        } else {
            Set<String> names = new HashSet<>();
            for (RequestedOutput o : request.outputs()) {
                if (outputSpecs.stream().noneMatch(s -> s.name().equals(o.name()))) {
                    throw new InvalidInferenceRequestException("unexpected output '" + o.name() + "': model '"
                            + model.id() + "' has the outputs " + outputSpecs.stream().map(TensorSpec::name).toList());
                }
                if (!names.add(o.name())) {
                    throw new InvalidInferenceRequestException("output '" + o.name() + "' is requested twice");
                }
                o.classification(); // validates the parameter now, before any work
                wanted.add(o);
            }
        }
        for (TensorSpec o : outputSpecs) {
            cost += estimatedOutputBytes(o, inputs.get(0).shape());
        }
        return PreparedInference.admit(this, model, lease, request, inputs, wanted, cost, scope, protocol);
    }

    ClassificationService images() {
        return images;
    }

    Admission admission() {
        return admission;
    }

    ServiceMetrics metrics() {
        return metrics;
    }

    private static List<TensorMetadata> describe(List<TensorSpec> specs) {
        return specs.stream().map(t -> new TensorMetadata(t.name(), datatype(t), t.shape().clone())).toList();
    }

    private static DataType datatype(TensorSpec t) {
        DataType d = DataType.ofModelDtype(t.dtype());
        return d == null ? DataType.FP32 : d;
    }

    /** An input a model takes as a preprocessed RGB image: encoded images may be sent for it. */
    static boolean imageInput(ModelMetadata meta, TensorSpec spec) {
        Preprocessing p = meta.preprocessing();
        long[] s = spec.shape();
        return p != null && meta.inputs().size() == 1 && s.length == 4 && s[1] == 3
                && s[2] == p.inputSize() && s[3] == p.inputSize();
    }

    private PreparedInference.Input mediaInput(InferInput in, ModelMetadata meta) {
        long[] shape = in.shape();
        boolean ok = shape.length == 1 || (shape.length == 2 && shape[1] == 1);
        if (!ok || shape[0] < 1) {
            throw new InvalidInferenceRequestException("input '" + in.name() + "': encoded images go as a BYTES tensor"
                    + " of shape [n] or [n, 1], got " + java.util.Arrays.toString(shape));
        }
        List<byte[]> data = in.bytes();
        if (data == null || data.size() != shape[0]) {
            throw new InvalidInferenceRequestException("input '" + in.name() + "': shape " + java.util.Arrays.toString(shape)
                    + " holds " + shape[0] + " elements, the data " + (data == null ? 0 : data.size()));
        }
        int max = props.limits().maxBatchImages();
        if (data.size() > max) {
            throw new TensorTooLargeException("input '" + in.name() + "': " + data.size() + " images, more than "
                    + max + " (visionserve.limits.max-batch-images)");
        }
        List<ImageInput> list = new ArrayList<>(data.size());
        for (int i = 0; i < data.size(); i++) {
            list.add(new ImageInput(in.name() + "[" + i + "]", data.get(i), null));
        }
        int size = meta.preprocessing().inputSize();
        return PreparedInference.Input.media(in.name(), list, new long[] {data.size(), 3, size, size});
    }

    /** Rank and every fixed dimension as the model says; dynamic ones at least 1. */
    private static void checkShape(InferInput in, TensorSpec spec) {
        long[] s = in.shape();
        long[] m = spec.shape();
        boolean ok = s != null && s.length == m.length;
        for (int i = 0; ok && i < s.length; i++) {
            ok = m[i] < 0 ? s[i] >= 1 : s[i] == m[i];
        }
        if (!ok) {
            throw new InvalidInferenceRequestException("input '" + in.name() + "': shape "
                    + java.util.Arrays.toString(s) + " does not match the model's " + java.util.Arrays.toString(m)
                    + " (-1: any size from 1)");
        }
    }

    /** Elements of a shape, bounded so that its FP32 buffer fits one direct buffer. */
    static int elements(String name, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0 || (d > 0 && n > (Integer.MAX_VALUE / Float.BYTES) / d)) {
                throw new TensorTooLargeException("input '" + name + "': shape " + java.util.Arrays.toString(shape)
                        + " has more elements than one tensor may hold (" + Integer.MAX_VALUE / Float.BYTES + ")");
            }
            n *= d;
        }
        return (int) n;
    }

    /** An output's size with its dynamic dimensions taken from the first input's (1 beyond its rank). */
    private static long estimatedOutputBytes(TensorSpec o, long[] firstInput) {
        long n = Float.BYTES;
        long[] s = o.shape();
        for (int i = 0; i < s.length; i++) {
            long d = s[i] >= 0 ? s[i] : i < firstInput.length ? firstInput[i] : 1;
            n = Math.multiplyExact(n, Math.max(1, d));
        }
        return n;
    }
}
