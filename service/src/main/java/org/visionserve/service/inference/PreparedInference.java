package org.visionserve.service.inference;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.visionserve.export.ModelMetadata;
import org.visionserve.service.classification.ClassificationService;
import org.visionserve.service.classification.ImageInput;
import org.visionserve.service.metrics.Protocol;
import org.visionserve.service.pipeline.Stage;
import org.visionserve.service.pipeline.StageTimer;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.DirectBuffers;
import org.visionserve.service.runtime.ModelLease;
import org.visionserve.service.runtime.ModelRunner;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.runtime.ServedModel;

/**
 * A validated, admitted inference request holding its input buffers: the transport fills each numeric
 * input's {@link #buffer}, then {@link #run}s it. Closing it gives the buffers and the admission back;
 * used by one thread.
 */
public final class PreparedInference implements AutoCloseable {

    /** One input: a numeric tensor in a leased buffer, or encoded images decoded into one at {@link #run}. */
    record Input(String name, DataType datatype, long[] shape, int elements, List<ImageInput> images) {

        static Input numeric(String name, DataType datatype, long[] shape, int elements) {
            return new Input(name, datatype, shape, elements, null);
        }

        static Input media(String name, List<ImageInput> images, long[] tensorShape) {
            return new Input(name, DataType.BYTES, tensorShape, InferenceCore.elements(name, tensorShape), images);
        }

        /** Its working memory: the tensor, and while decoding the largest image (added at admission). */
        long costBytes() {
            return (long) elements * Float.BYTES;
        }
    }

    private final InferenceCore core;
    private final ServedModel model;
    /** The version's session, held until {@link #close}: a reload meanwhile swaps in another for later requests. */
    private final ModelLease lease;
    private final ModelMetadata meta;
    private final InferRequest request;
    private final List<Input> inputs;
    private final List<RequestedOutput> outputs;
    private final RequestScope scope;
    private final Protocol protocol;
    private final StageTimer timer;
    private final Map<String, DirectBuffers.Lease> leases = new LinkedHashMap<>();
    private Admission.Ticket ticket;
    private boolean ran;

    private PreparedInference(InferenceCore core, ServedModel model, ModelLease lease, InferRequest request,
                              List<Input> inputs, List<RequestedOutput> outputs,
                              RequestScope scope, Protocol protocol) {
        this.core = core;
        this.model = model;
        this.lease = lease;
        this.meta = lease.metadata();
        this.request = request;
        this.inputs = inputs;
        this.outputs = outputs;
        this.scope = scope;
        this.protocol = protocol;
        this.timer = new StageTimer(model.id(), lease.device().name().toLowerCase(Locale.ROOT));
    }

    /** Admits the request; on failure the lease is closed with everything else taken. */
    static PreparedInference admit(InferenceCore core, ServedModel model, ModelLease lease, InferRequest request,
                                   List<Input> inputs, List<RequestedOutput> outputs, long cost, RequestScope scope,
                                   Protocol protocol) throws InterruptedException {
        PreparedInference p = new PreparedInference(core, model, lease, request, inputs, outputs, scope, protocol);
        long largestImage = 0;
        for (Input in : inputs) {
            if (in.images() != null) {
                largestImage = Math.max(largestImage, core.images().probe(in.images(), p.timer));
            }
        }
        cost += largestImage * ClassificationService.DECODE_BYTES_PER_PIXEL;
        try {
            p.ticket = core.admission().admit(model.id(), cost, scope);
            p.timer.add(Stage.QUEUE, p.ticket.queueNanos());
            for (Input in : inputs) {
                p.leases.put(in.name(), DirectBuffers.shared().take(in.elements()));
            }
            return p;
        } catch (RuntimeException | InterruptedException | Error e) {
            p.close();
            throw e;
        }
    }

    /** The model that will run (its id) and the version that answers. */
    public String model() {
        return model.id();
    }

    public String version() {
        return Integer.toString(lease.version());
    }

    /** The request's id, echoed. */
    public String id() {
        return request.id();
    }

    /** The outputs that will be answered, in order (the requested ones, or all of the model's). */
    public List<RequestedOutput> outputs() {
        return outputs;
    }

    /** Whether {@code input} is a numeric tensor whose data the transport writes into {@link #buffer}. */
    public boolean needsData(String input) {
        Input in = find(input);
        return in.images() == null;
    }

    /** The number of elements the transport must write for {@code input}. */
    public int elements(String input) {
        return find(input).elements();
    }

    /**
     * The buffer of a numeric input: direct, little-endian, position 0, limit its size in bytes
     * ({@code elements x datatype size}). Write the tensor's elements in row-major order (the wire
     * format of the binary extension and of gRPC's raw contents, so raw bytes are copied as they are).
     */
    public ByteBuffer buffer(String input) {
        Input in = find(input);
        if (in.images() != null) {
            throw new IllegalStateException("input '" + input + "' holds encoded images, decoded by the server");
        }
        ByteBuffer b = leases.get(input).bytes();
        if (b.order() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("the protocol's tensors are little-endian, this machine is not");
        }
        return b;
    }

    /**
     * Decodes encoded-image inputs, runs the model (through its batcher when it has one input and the
     * request wants its first output alone, as {@code /classify} does) and builds the outputs, applying
     * {@code classification}. Records the stage times under the request's protocol.
     */
    public InferResponse run() throws InterruptedException {
        if (ran) {
            throw new IllegalStateException("already run");
        }
        ran = true;
        scope.check();
        Map<String, ModelRunner.Input> tensors = new LinkedHashMap<>();
        for (Input in : inputs) {
            FloatBuffer floats = leases.get(in.name()).floats();
            if (in.images() != null) {
                floats.clear();
                core.images().preprocess(in.images(), meta.preprocessing(), floats, timer, scope);
            }
            floats.rewind();
            tensors.put(in.name(), new ModelRunner.Input(floats, in.shape()));
        }
        Set<String> wanted = new LinkedHashSet<>();
        outputs.forEach(o -> wanted.add(o.name()));
        String first = meta.outputs().get(0).name();
        Map<String, ModelRunner.Output> produced;
        ModelRunner runner = lease.runner();
        if (tensors.size() == 1 && wanted.equals(Set.of(first))) {
            ModelRunner.Input only = tensors.values().iterator().next();
            ModelRunner.Timed<ModelRunner.Output> run = runner.infer(only.data(), only.shape(), scope);
            timer.add(Stage.QUEUE, run.queueNanos());
            timer.add(Stage.INFERENCE, run.runNanos());
            produced = Map.of(first, run.value());
        } else {
            ModelRunner.Timed<Map<String, ModelRunner.Output>> run = runner.run(tensors, wanted, scope);
            timer.add(Stage.QUEUE, run.queueNanos());
            timer.add(Stage.INFERENCE, run.runNanos());
            produced = run.value();
        }

        StageTimer.Lap post = timer.start(Stage.POSTPROCESS);
        List<OutputTensor> out = new ArrayList<>(outputs.size());
        for (RequestedOutput o : outputs) {
            ModelRunner.Output value = produced.get(o.name());
            int k = o.classification();
            out.add(k > 0 ? classification(o.name(), value, k) : OutputTensor.fp32(o.name(), value.shape(), value.values()));
        }
        post.stop();
        timer.finish(core.metrics().recorder(protocol));
        return new InferResponse(model.id(), version(), request.id(), Map.of(), out);
    }

    /**
     * Triton's classification extension: per batch item (axis 0) the k largest values of the rest of
     * the tensor, as {@code "value:index:label"} (the label left out when the model has none), largest first.
     */
    private OutputTensor classification(String name, ModelRunner.Output value, int k) {
        long[] shape = value.shape();
        int items = shape.length <= 1 ? 1 : (int) shape[0];
        int classes = value.values().length / Math.max(1, items);
        int top = Math.min(k, classes);
        List<String> labels = meta.labels() == null ? null : meta.labels().classes();
        List<byte[]> strings = new ArrayList<>(items * top);
        float[] v = value.values();
        for (int i = 0; i < items; i++) {
            int offset = i * classes;
            Integer[] order = new Integer[classes];
            for (int c = 0; c < classes; c++) {
                order[c] = c;
            }
            Arrays.sort(order, (a, b) -> Float.compare(v[offset + b], v[offset + a]));
            for (int r = 0; r < top; r++) {
                int c = order[r];
                String s = String.format(Locale.ROOT, "%f:%d", v[offset + c], c)
                        + (labels != null && c < labels.size() ? ":" + labels.get(c) : "");
                strings.add(s.getBytes(StandardCharsets.UTF_8));
            }
        }
        long[] outShape = shape.length <= 1 ? new long[] {top} : new long[] {items, top};
        return OutputTensor.bytes(name, outShape, strings);
    }

    private Input find(String input) {
        for (Input in : inputs) {
            if (in.name().equals(input)) {
                return in;
            }
        }
        throw new IllegalArgumentException("no input '" + input + "' in the request");
    }

    /** Gives back the buffers, the admission ticket and the session lease; the run (if any) has ended by then. */
    @Override
    public void close() {
        leases.values().forEach(DirectBuffers.Lease::close);
        leases.clear();
        if (ticket != null) {
            ticket.close();
            ticket = null;
        }
        lease.close();
    }
}
