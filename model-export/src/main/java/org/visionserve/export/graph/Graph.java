package org.visionserve.export.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.visionserve.export.weights.Tensor;
import org.visionserve.export.weights.WeightSource;

/**
 * An ONNX graph under construction. Architectures do not talk to it directly but through
 * {@link Scope}s, which name nodes and parameters by the reference module path. Parameters become
 * initializers named exactly by their reference state-dict key, in the reference layout, so that a
 * graph reads like the checkpoint in Netron; layout changes are graph nodes ONNX Runtime folds.
 */
public final class Graph {

    public static final int OPSET = 17;
    private static final long IR_VERSION = 8;

    private final String name;
    private final WeightSource weights;
    private final GraphProto.Builder proto = GraphProto.newBuilder();
    private final Map<String, long[]> declared = new LinkedHashMap<>();
    private final Map<String, Integer> nameCounts = new HashMap<>();
    private final Map<String, Value> taps = new LinkedHashMap<>();
    private final List<Value> outputs = new ArrayList<>();
    private long parameterCount;
    private long bufferCount;
    private ProgressListener progress = ProgressListener.NONE;

    /** Told of every tensor loaded, for progress display on long exports. */
    public interface ProgressListener {
        ProgressListener NONE = (key, elements) -> { };

        void loaded(String key, long elements);

        /** A step of the export begins (loading parameters, writing model.onnx, writing model.json). */
        default void stage(String stage) {
        }
    }

    public Graph(String name, WeightSource weights) {
        this.name = name;
        this.weights = weights;
    }

    public void onProgress(ProgressListener listener) {
        this.progress = listener;
    }

    /** The root scope, whose path is empty. */
    public Scope root() {
        return new Scope(this, "");
    }

    /** A float graph input with a dynamic batch dimension in front of {@code dims}. */
    public Value input(String inputName, long... dims) {
        long[] shape = new long[dims.length + 1];
        shape[0] = -1;
        System.arraycopy(dims, 0, shape, 1, dims.length);
        claim(inputName);
        proto.addInput(valueInfo(inputName, shape, Value.FLOAT));
        return new Value(inputName, shape, Value.FLOAT);
    }

    /** Marks {@code v} as a graph output called {@code outputName}. */
    public void output(String outputName, Value v) {
        Value out = node("Identity", outputName, v.shape(), List.of(v), List.of());
        outputs.add(out);
        proto.addOutput(valueInfo(out.name(), out.shape(), out.elemType()));
    }

    // ---- parameters ---------------------------------------------------------------------------

    /** A trainable parameter: loaded from the weights and counted in the parameter count. */
    Value parameter(String key, long[] shape) {
        Value v = load(key, shape);
        parameterCount += Tensor.elementCount(shape);
        return v;
    }

    /** A buffer the forward pass reads (e.g. BatchNorm running statistics). */
    Value buffer(String key, long[] shape) {
        Value v = load(key, shape);
        bufferCount += Tensor.elementCount(shape);
        return v;
    }

    /** A state-dict entry the forward pass does not read (num_batches_tracked): declared, not loaded. */
    void unusedBuffer(String key, long[] shape) {
        declare(key, shape);
        bufferCount += Tensor.elementCount(shape);
    }

    private Value load(String key, long[] shape) {
        declare(key, shape);
        Tensor t = weights.load(key, shape);
        claim(key);
        proto.addInitializer(TensorProto.newBuilder()
                .setName(key)
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(boxed(shape))
                .setRawData(UnsafeByteOperations.unsafeWrap(t.data())));
        progress.loaded(key, t.elementCount());
        return new Value(key, shape, Value.FLOAT);
    }

    private void declare(String key, long[] shape) {
        if (declared.putIfAbsent(key, shape.clone()) != null) {
            throw new IllegalStateException("parameter " + key + " declared twice");
        }
    }

    /** A float constant (not a parameter), e.g. a scale. */
    Value constant(String hint, long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return constantTensor(hint, shape, TensorProto.DataType.FLOAT_VALUE, b, Value.FLOAT);
    }

    /** An int64 constant, e.g. a target shape or split sizes. */
    Value constantLongs(String hint, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return constantTensor(hint, new long[] {values.length}, TensorProto.DataType.INT64_VALUE, b, Value.INT64);
    }

    private Value constantTensor(String hint, long[] shape, int dataType, ByteBuffer bytes, int elemType) {
        String n = unique(hint);
        proto.addInitializer(TensorProto.newBuilder()
                .setName(n)
                .setDataType(dataType)
                .addAllDims(boxed(shape))
                .setRawData(ByteString.copyFrom(bytes)));
        return new Value(n, shape, elemType);
    }

    // ---- nodes --------------------------------------------------------------------------------

    /** Adds a node with one output; its node and output names are {@code hint}, made unique. */
    Value node(String opType, String hint, long[] outShape, List<Value> inputs, List<AttributeProto> attrs) {
        return nodeWithOutputs(opType, hint, List.of(outShape), inputs, attrs, Value.FLOAT).get(0);
    }

    List<Value> nodeWithOutputs(String opType, String hint, List<long[]> outShapes, List<Value> inputs,
                                List<AttributeProto> attrs, int elemType) {
        String nodeName = unique(hint);
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(opType).setName(nodeName);
        for (Value in : inputs) {
            n.addInput(in == null ? "" : in.name()); // "" = an omitted optional input
        }
        List<Value> outs = new ArrayList<>();
        for (int i = 0; i < outShapes.size(); i++) {
            String outName = i == 0 ? nodeName : unique(nodeName + ":" + i);
            n.addOutput(outName);
            outs.add(new Value(outName, outShapes.get(i), elemType));
        }
        n.addAllAttribute(attrs);
        proto.addNode(n);
        return outs;
    }

    /** Records an intermediate value under a reference trace point (e.g. {@code stages.2}). */
    void tap(String point, Value v) {
        taps.put(point, v);
    }

    public Map<String, Value> taps() {
        return Collections.unmodifiableMap(taps);
    }

    // ---- result -------------------------------------------------------------------------------

    /** Every state-dict key the architecture declared, with its reference shape, in declaration order. */
    public Map<String, long[]> declaredKeys() {
        return Collections.unmodifiableMap(declared);
    }

    public long parameterCount() {
        return parameterCount;
    }

    public long bufferCount() {
        return bufferCount;
    }

    public List<Value> outputs() {
        return List.copyOf(outputs);
    }

    /**
     * The finished model. The weight source is checked for keys the architecture never asked for.
     * Trace taps become extra outputs named {@code trace:<point>} when asked (for debugging a port).
     */
    public ModelProto toModel(String producerVersion, Map<String, String> metadata, boolean withTaps) {
        weights.verifyComplete(declared.keySet());
        GraphProto.Builder g = proto.clone().setName(name);
        if (withTaps) {
            for (var e : taps.entrySet()) {
                String out = "trace:" + e.getKey();
                g.addNode(NodeProto.newBuilder().setOpType("Identity").setName(out)
                        .addInput(e.getValue().name()).addOutput(out));
                g.addOutput(valueInfo(out, e.getValue().shape(), e.getValue().elemType()));
            }
        }
        ModelProto.Builder m = ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("visionserve-model-export")
                .setProducerVersion(producerVersion)
                .setDomain("org.visionserve")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(g);
        metadata.forEach((k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return m.build();
    }

    // ---- helpers ------------------------------------------------------------------------------

    private void claim(String n) {
        if (nameCounts.putIfAbsent(n, 0) != null) {
            throw new IllegalStateException("name " + n + " used twice");
        }
    }

    private String unique(String hint) {
        Integer seen = nameCounts.get(hint);
        if (seen == null) {
            nameCounts.put(hint, 0);
            return hint;
        }
        String n;
        do {
            seen++;
            n = hint + "_" + seen;
        } while (nameCounts.containsKey(n));
        nameCounts.put(hint, seen);
        nameCounts.put(n, 0);
        return n;
    }

    private static ValueInfoProto valueInfo(String n, long[] shape, int elemType) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (int i = 0; i < shape.length; i++) {
            s.addDim(shape[i] >= 0
                    ? TensorShapeProto.Dimension.newBuilder().setDimValue(shape[i])
                    : TensorShapeProto.Dimension.newBuilder().setDimParam(i == 0 ? "batch" : "d" + i));
        }
        return ValueInfoProto.newBuilder().setName(n)
                .setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s)))
                .build();
    }

    private static List<Long> boxed(long[] shape) {
        return Arrays.stream(shape).boxed().toList();
    }
}
