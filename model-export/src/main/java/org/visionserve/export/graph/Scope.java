package org.visionserve.export.graph;

import static org.visionserve.export.graph.Attrs.f;
import static org.visionserve.export.graph.Attrs.i;
import static org.visionserve.export.graph.Attrs.ints;
import static org.visionserve.export.graph.Attrs.s;

import ai.onnx.proto.OnnxMl.AttributeProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A module path in the reference network ({@code stages.0.blocks.1}) and the layers that can be
 * built under it. Parameters are named {@code <path>.<name>} exactly as the reference state dict;
 * nodes are named by the path too, so a graph can be read against the reference module tree.
 * All spatial tensors are NCHW unless a method says otherwise.
 */
public final class Scope {

    private final Graph graph;
    private final String path;

    Scope(Graph graph, String path) {
        this.graph = graph;
        this.path = path;
    }

    public String path() {
        return path;
    }

    /** The child module {@code name}: {@code sub("stem")}, {@code sub("blocks", 3)}. */
    public Scope sub(String name) {
        return new Scope(graph, key(name));
    }

    public Scope sub(String name, int index) {
        return sub(name + "." + index);
    }

    public Scope sub(int index) {
        return sub(Integer.toString(index));
    }

    private String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private String opName(String op) {
        return path.isEmpty() ? op : path + "/" + op;
    }

    /** Records {@code v} as this module's output, for comparing with a reference trace. */
    public Value tap(Value v) {
        graph.tap(path, v);
        return v;
    }

    // ---- parameters ---------------------------------------------------------------------------

    public Value param(String name, long... shape) {
        return graph.parameter(key(name), shape);
    }

    public Value buffer(String name, long... shape) {
        return graph.buffer(key(name), shape);
    }

    public Value constant(float value) {
        return graph.constant(opName("const"), new long[0], value);
    }

    // ---- layers with parameters ---------------------------------------------------------------

    /** {@code nn.Conv2d}: weight {@code [out, in/groups, kh, kw]}, optional bias {@code [out]}. */
    public Value conv2d(Value x, Conv c) {
        int in = x.channels();
        if (in % c.groups() != 0 || c.outChannels() % c.groups() != 0) {
            throw new IllegalArgumentException(path + ": channels " + in + " -> " + c.outChannels()
                    + " not divisible by groups " + c.groups());
        }
        Value w = param("weight", c.outChannels(), in / c.groups(), c.kh(), c.kw());
        List<Value> inputs = new ArrayList<>(List.of(x, w));
        if (c.bias()) {
            inputs.add(param("bias", c.outChannels()));
        }
        long[] out = {x.dim(0), c.outChannels(), c.outSize(x.dim(2), true), c.outSize(x.dim(3), false)};
        return graph.node("Conv", path, out, inputs, List.of(
                ints("kernel_shape", c.kh(), c.kw()),
                ints("strides", c.sh(), c.sw()),
                ints("pads", c.padTop(), c.padLeft(), c.padBottom(), c.padRight()),
                ints("dilations", c.dh(), c.dw()),
                i("group", c.groups())));
    }

    /**
     * {@code nn.ConvTranspose2d}: weight {@code [in, out/groups, kh, kw]}; output size
     * {@code (in - 1) * s - pads + d * (k - 1) + outputPadding + 1}.
     */
    public Value convTranspose2d(Value x, Conv c, int outputPadding) {
        int in = x.channels();
        Value w = param("weight", in, c.outChannels() / c.groups(), c.kh(), c.kw());
        List<Value> inputs = new ArrayList<>(List.of(x, w));
        if (c.bias()) {
            inputs.add(param("bias", c.outChannels()));
        }
        long oh = x.dim(2) < 0 ? -1 : (x.dim(2) - 1) * c.sh() - c.padTop() - c.padBottom()
                + (long) c.dh() * (c.kh() - 1) + outputPadding + 1;
        long ow = x.dim(3) < 0 ? -1 : (x.dim(3) - 1) * c.sw() - c.padLeft() - c.padRight()
                + (long) c.dw() * (c.kw() - 1) + outputPadding + 1;
        return graph.node("ConvTranspose", path, new long[] {x.dim(0), c.outChannels(), oh, ow}, inputs, List.of(
                ints("kernel_shape", c.kh(), c.kw()),
                ints("strides", c.sh(), c.sw()),
                ints("pads", c.padTop(), c.padLeft(), c.padBottom(), c.padRight()),
                ints("dilations", c.dh(), c.dw()),
                ints("output_padding", outputPadding, outputPadding),
                i("group", c.groups())));
    }

    /** {@code nn.BatchNorm2d} in eval mode over axis 1 (also 1-D: {@code [B, C]} or {@code [B, C, L]}). */
    public Value batchNorm(Value x, double eps) {
        long c = x.dim(1);
        Value w = param("weight", c);
        Value b = param("bias", c);
        Value mean = buffer("running_mean", c);
        Value var = buffer("running_var", c);
        graph.unusedBuffer(key("num_batches_tracked"), new long[0]);
        return graph.node("BatchNormalization", path, x.shape(), List.of(x, w, b, mean, var),
                List.of(f("epsilon", (float) eps)));
    }

    /** {@code nn.LayerNorm} over the last axis. */
    public Value layerNorm(Value x, double eps) {
        long c = x.dim(-1);
        Value w = param("weight", c);
        Value b = param("bias", c);
        return graph.node("LayerNormalization", path, x.shape(), List.of(x, w, b),
                List.of(i("axis", -1), f("epsilon", (float) eps)));
    }

    /**
     * LayerNorm over the channels of an NCHW tensor (timm's {@code LayerNorm2d}): moved to the last
     * axis, normalised there, moved back; ONNX Runtime cancels the transposes around its kernel.
     */
    public Value layerNormChannels(Value x, double eps) {
        return toChannelsFirst(layerNorm(toChannelsLast(x), eps));
    }

    /** {@code nn.Linear} on the last axis: weight {@code [out, in]} (PyTorch layout), optional bias. */
    public Value linear(Value x, int out, boolean bias) {
        long in = x.dim(-1);
        Value w = param("weight", out, in);
        Value b = bias ? param("bias", out) : null;
        long[] outShape = x.shape();
        outShape[outShape.length - 1] = out;
        if (x.rank() == 2) {
            List<Value> inputs = b == null ? List.of(x, w) : List.of(x, w, b);
            return graph.node("Gemm", path, outShape, inputs, List.of(i("transB", 1)));
        }
        Value wt = graph.node("Transpose", opName("weight_t"), new long[] {in, out}, List.of(w),
                List.of(ints("perm", 1, 0)));
        Value y = graph.node("MatMul", b == null ? path : opName("matmul"), outShape, List.of(x, wt), List.of());
        return b == null ? y : graph.node("Add", path, outShape, List.of(y, b), List.of());
    }

    public Value linear(Value x, int out) {
        return linear(x, out, true);
    }

    // ---- activations and elementwise ----------------------------------------------------------

    /** Exact GELU, {@code 0.5 x (1 + erf(x / sqrt 2))}, in the pattern ONNX Runtime fuses into one kernel. */
    public Value gelu(Value x) {
        long[] sh = x.shape();
        Value scaled = graph.node("Div", opName("gelu/div"), sh, List.of(x, graph.constant(opName("sqrt2"),
                new long[0], (float) Math.sqrt(2))), List.of());
        Value erf = graph.node("Erf", opName("gelu/erf"), sh, List.of(scaled), List.of());
        Value onePlus = graph.node("Add", opName("gelu/add"), sh, List.of(erf, graph.constant(opName("one"),
                new long[0], 1f)), List.of());
        Value prod = graph.node("Mul", opName("gelu/mul"), sh, List.of(x, onePlus), List.of());
        return graph.node("Mul", opName("gelu"), sh, List.of(prod, graph.constant(opName("half"),
                new long[0], 0.5f)), List.of());
    }

    public Value relu(Value x) {
        return unary("Relu", x);
    }

    public Value sigmoid(Value x) {
        return unary("Sigmoid", x);
    }

    public Value tanh(Value x) {
        return unary("Tanh", x);
    }

    public Value identity(Value x) {
        return unary("Identity", x);
    }

    private Value unary(String op, Value x) {
        return graph.node(op, opName(op.toLowerCase()), x.shape(), List.of(x), List.of());
    }

    public Value add(Value a, Value b) {
        return binary("Add", a, b);
    }

    public Value sub(Value a, Value b) {
        return binary("Sub", a, b);
    }

    public Value mul(Value a, Value b) {
        return binary("Mul", a, b);
    }

    public Value div(Value a, Value b) {
        return binary("Div", a, b);
    }

    /** {@code x * scale} with a float32 scalar constant. */
    public Value mul(Value x, float scale) {
        return mul(x, constant(scale));
    }

    private Value binary(String op, Value a, Value b) {
        return graph.node(op, opName(op.toLowerCase()), broadcast(a.shape(), b.shape()), List.of(a, b), List.of());
    }

    static long[] broadcast(long[] a, long[] b) {
        int r = Math.max(a.length, b.length);
        long[] out = new long[r];
        for (int k = 0; k < r; k++) {
            long da = k < r - a.length ? 1 : a[k - (r - a.length)];
            long db = k < r - b.length ? 1 : b[k - (r - b.length)];
            if (da != db && da != 1 && db != 1 && da >= 0 && db >= 0) {
                throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(a) + " with " + Arrays.toString(b));
            }
            out[k] = da == 1 ? db : db == 1 ? da : Math.max(da, db);
        }
        return out;
    }

    // ---- shape ops ----------------------------------------------------------------------------

    public Value concat(int axis, Value... xs) {
        long[] out = xs[0].shape();
        int ax = axis < 0 ? out.length + axis : axis;
        out[ax] = 0;
        for (Value x : xs) {
            out[ax] = out[ax] < 0 || x.dim(ax) < 0 ? -1 : out[ax] + x.dim(ax);
        }
        return graph.node("Concat", opName("concat"), out, List.of(xs), List.of(i("axis", axis)));
    }

    /** Splits along {@code axis} into pieces of the given sizes, in order. */
    public Value[] split(Value x, int axis, long... sizes) {
        int ax = axis < 0 ? x.rank() + axis : axis;
        if (x.dim(ax) >= 0 && Arrays.stream(sizes).sum() != x.dim(ax)) {
            throw new IllegalArgumentException(path + ": split sizes " + Arrays.toString(sizes) + " do not add up to " + x.dim(ax));
        }
        List<long[]> shapes = new ArrayList<>();
        for (long size : sizes) {
            long[] s = x.shape();
            s[ax] = size;
            shapes.add(s);
        }
        Value splits = graph.constantLongs(opName("split_sizes"), sizes);
        return graph.nodeWithOutputs("Split", opName("split"), shapes, List.of(x, splits),
                List.of(i("axis", axis)), x.elemType()).toArray(Value[]::new);
    }

    /** {@code x[..., start:end, ...]} along one axis. */
    public Value slice(Value x, int axis, long start, long end) {
        int ax = axis < 0 ? x.rank() + axis : axis;
        long[] out = x.shape();
        out[ax] = end - start;
        return graph.node("Slice", opName("slice"), out, List.of(x, graph.constantLongs(opName("starts"), start),
                graph.constantLongs(opName("ends"), end), graph.constantLongs(opName("axes"), ax)), List.of());
    }

    public Value transpose(Value x, long... perm) {
        long[] in = x.shape();
        long[] out = new long[perm.length];
        for (int k = 0; k < perm.length; k++) {
            out[k] = in[(int) perm[k]];
        }
        return graph.node("Transpose", opName("transpose"), out, List.of(x), List.of(ints("perm", perm)));
    }

    /** NCHW to NHWC. */
    public Value toChannelsLast(Value x) {
        return transpose(x, 0, 2, 3, 1);
    }

    /** NHWC to NCHW. */
    public Value toChannelsFirst(Value x) {
        return transpose(x, 0, 3, 1, 2);
    }

    /** ONNX Reshape: 0 keeps the input dimension, -1 is inferred. */
    public Value reshape(Value x, long... target) {
        long[] in = x.shape();
        long[] out = target.clone();
        int inferred = -1;
        // Dimensions copied with 0 cancel out of the inference, so a dynamic batch kept in place is fine.
        long rest = 1;
        for (int k = 0; k < in.length; k++) {
            boolean copied = k < target.length && target[k] == 0;
            if (!copied) {
                rest = rest < 0 || in[k] < 0 ? -1 : rest * in[k];
            }
        }
        for (int k = 0; k < out.length; k++) {
            if (target[k] == 0) {
                out[k] = in[k];
            } else if (target[k] == -1) {
                inferred = k;
            } else if (rest >= 0) {
                rest /= target[k];
            }
        }
        if (inferred >= 0) {
            out[inferred] = rest;
        }
        return graph.node("Reshape", opName("reshape"), out, List.of(x, graph.constantLongs(opName("shape"), target)),
                List.of());
    }

    /** {@code torch.flatten(x, axis)}: the leading axes are kept, the rest become one. */
    public Value flatten(Value x, int axis) {
        long[] target = new long[axis + 1];
        for (int k = 0; k < axis; k++) {
            target[k] = 0;
        }
        target[axis] = -1;
        return reshape(x, target);
    }

    // ---- pooling and reductions ---------------------------------------------------------------

    /** {@code nn.MaxPool2d(k, s, p, ceil_mode)}; padding never wins the max. */
    public Value maxPool(Value x, int k, int s, int p, boolean ceil) {
        return pool("MaxPool", x, k, s, p, ceil, List.of());
    }

    /** {@code nn.AvgPool2d(k, s, p, ceil_mode, count_include_pad)}. */
    public Value avgPool(Value x, int k, int s, int p, boolean ceil, boolean countIncludePad) {
        return pool("AveragePool", x, k, s, p, ceil, List.of(i("count_include_pad", countIncludePad ? 1 : 0)));
    }

    private Value pool(String op, Value x, int k, int s, int p, boolean ceil, List<AttributeProto> extra) {
        long[] out = {x.dim(0), x.dim(1), poolSize(x.dim(2), k, s, p, ceil), poolSize(x.dim(3), k, s, p, ceil)};
        List<AttributeProto> attrs = new ArrayList<>(List.of(ints("kernel_shape", k, k), ints("strides", s, s),
                ints("pads", p, p, p, p), i("ceil_mode", ceil ? 1 : 0)));
        attrs.addAll(extra);
        return graph.node(op, opName(op.equals("MaxPool") ? "maxpool" : "avgpool"), out, List.of(x), attrs);
    }

    /** PyTorch's pooled size: in ceil mode the last window must start inside the input or left padding. */
    static long poolSize(long in, int k, int s, int p, boolean ceil) {
        if (in < 0) {
            return -1;
        }
        long span = in + 2L * p - k;
        long out = (ceil ? Math.floorDiv(span + s - 1, s) : Math.floorDiv(span, s)) + 1;
        if (ceil && (out - 1) * s >= in + p) {
            out--;
        }
        return out;
    }

    /** Mean over H and W, keeping {@code [B, C]}. */
    public Value globalAvgPool(Value x) {
        return reduceMean(x, false, 2, 3);
    }

    public Value reduceMean(Value x, boolean keepDims, long... axes) {
        long[] in = x.shape();
        List<Long> out = new ArrayList<>();
        for (int k = 0; k < in.length; k++) {
            final int kk = k;
            boolean reduced = Arrays.stream(axes).anyMatch(a -> (a < 0 ? in.length + a : a) == kk);
            if (!reduced) {
                out.add(in[k]);
            } else if (keepDims) {
                out.add(1L);
            }
        }
        return graph.node("ReduceMean", opName("mean"), out.stream().mapToLong(Long::longValue).toArray(),
                List.of(x), List.of(ints("axes", axes), i("keepdims", keepDims ? 1 : 0)));
    }

    public Value reduceMax(Value x, boolean keepDims, long... axes) {
        Value mean = reduceMean(x, keepDims, axes); // for its shape only
        return graph.node("ReduceMax", opName("max"), mean.shape(), List.of(x),
                List.of(ints("axes", axes), i("keepdims", keepDims ? 1 : 0)));
    }

    // ---- attention and misc -------------------------------------------------------------------

    public Value matmul(Value a, Value b) {
        long[] as = a.shape();
        long[] bs = b.shape();
        long[] batch = broadcast(Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
        long[] out = Arrays.copyOf(batch, batch.length + 2);
        out[out.length - 2] = as[as.length - 2];
        out[out.length - 1] = bs[bs.length - 1];
        return graph.node("MatMul", opName("matmul"), out, List.of(a, b), List.of());
    }

    public Value softmax(Value x, int axis) {
        return graph.node("Softmax", opName("softmax"), x.shape(), List.of(x), List.of(i("axis", axis)));
    }

    public Value logSoftmax(Value x, int axis) {
        return graph.node("LogSoftmax", opName("log_softmax"), x.shape(), List.of(x), List.of(i("axis", axis)));
    }

    /** Nearest-neighbour upsampling of H and W by an integer factor, as PyTorch's {@code nn.Upsample}. */
    public Value upsampleNearest(Value x, int factor) {
        long[] out = {x.dim(0), x.dim(1), x.dim(2) < 0 ? -1 : x.dim(2) * factor, x.dim(3) < 0 ? -1 : x.dim(3) * factor};
        Value scales = graph.constant(opName("scales"), new long[] {4}, 1, 1, factor, factor);
        return graph.node("Resize", opName("upsample"), out, java.util.Arrays.asList(x, null, scales), List.of(
                s("mode", "nearest"), s("coordinate_transformation_mode", "asymmetric"), s("nearest_mode", "floor")));
    }

    Graph graph() {
        return graph;
    }

    // ---- iFormer ------------------------------------------------------------------------------

    /**
     * Records {@code v} as this module's input (trace points of kind {@code input}), kept apart from its
     * output under {@code <path>#input}.
     */
    public Value tapInput(Value v) {
        graph.tap(path + "#input", v);
        return v;
    }

    // ---- action recognition (ResNet-101 streams, Temporal-Inception, TS-LSTM) ------------------

    /** {@code nn.MaxPool2d((kh, kw), (sh, sw))}: a rectangular window, no padding, floor mode. */
    public Value maxPool(Value x, int kh, int kw, int sh, int sw) {
        long[] out = {x.dim(0), x.dim(1), poolSize(x.dim(2), kh, sh, 0, false), poolSize(x.dim(3), kw, sw, 0, false)};
        return graph.node("MaxPool", opName("maxpool"), out, List.of(x), List.of(ints("kernel_shape", kh, kw),
                ints("strides", sh, sw), ints("pads", 0, 0, 0, 0)));
    }

    /** Removes the given axes, which must have size 1. */
    public Value squeeze(Value x, long... axes) {
        long[] in = x.shape();
        List<Long> out = new ArrayList<>();
        for (int k = 0; k < in.length; k++) {
            final int kk = k;
            if (Arrays.stream(axes).noneMatch(a -> (a < 0 ? in.length + a : a) == kk)) {
                out.add(in[k]);
            }
        }
        return graph.node("Squeeze", opName("squeeze"), out.stream().mapToLong(Long::longValue).toArray(),
                List.of(x, graph.constantLongs(opName("axes"), axes)), List.of());
    }

    /** The three results of {@link #lstm}: every step's hidden state, and the last step's h and c. */
    public record LstmOutput(Value output, Value hLast, Value cLast) {
    }

    /**
     * A one-layer, unidirectional {@code nn.LSTM(input, hidden, batch_first=batchFirst)} with zero
     * initial state, as one ONNX {@code LSTM} node. The parameters keep PyTorch's names and layout
     * ({@code weight_ih_l0 [4H, I]}, {@code weight_hh_l0 [4H, H]}, {@code bias_ih_l0},
     * {@code bias_hh_l0 [4H]}, gate blocks i, f, g, o); ONNX wants the blocks as i, o, f, c(=g) and
     * the two biases as one {@code [1, 8H]}, which Split/Concat nodes on the initializers build
     * (ONNX Runtime folds them). {@code x} is {@code [B, T, I]} if batchFirst, else {@code [T, B, I]};
     * the output sequence comes in the same layout, hLast and cLast as {@code [B, H]}.
     */
    public LstmOutput lstm(Value x, int hidden, boolean batchFirst) {
        long in = x.dim(-1);
        int h = hidden;
        Value w = onnxGates(param("weight_ih_l0", 4L * h, in), h);
        Value r = onnxGates(param("weight_hh_l0", 4L * h, h), h);
        Value b = concat(0, onnxGates(param("bias_ih_l0", 4L * h), h), onnxGates(param("bias_hh_l0", 4L * h), h));
        w = reshape(w, 1, 4L * h, in);
        r = reshape(r, 1, 4L * h, h);
        b = reshape(b, 1, 8L * h);
        // ONNX Runtime's CPU LSTM only takes the sequence-first layout (attribute layout = 0).
        Value seq = batchFirst ? transpose(x, 1, 0, 2) : x;
        long steps = seq.dim(0);
        long batch = seq.dim(1);
        List<Value> outs = graph.nodeWithOutputs("LSTM", path, List.of(new long[] {steps, 1, batch, h},
                new long[] {1, batch, h}, new long[] {1, batch, h}), List.of(seq, w, r, b),
                List.of(i("hidden_size", h)), Value.FLOAT);
        Value y = squeeze(outs.get(0), 1); // [T, B, H]
        return new LstmOutput(batchFirst ? transpose(y, 1, 0, 2) : y, squeeze(outs.get(1), 0), squeeze(outs.get(2), 0));
    }

    /** PyTorch's gate blocks (i, f, g, o) along axis 0, reordered to ONNX's (i, o, f, g). */
    private Value onnxGates(Value t, int hidden) {
        Value[] g = split(t, 0, hidden, hidden, hidden, hidden);
        return concat(0, g[0], g[3], g[1], g[2]);
    }

    // ---- IVD-Net ------------------------------------------------------------------------------

    /**
     * The centre of {@code x} cut to the height and width of {@code like}, as IVD-Net's
     * {@code croppCenter}: rows {@code [d, H - d)} with {@code d = (H - H_like) // 2}, columns alike;
     * the result has {@code like}'s size only where the differences are even. Static sizes give one
     * constant Slice; dynamic ones take the bounds from the runtime shapes.
     */
    public Value centerCrop(Value x, Value like) {
        long h = x.dim(2);
        long w = x.dim(3);
        long th = like.dim(2);
        long tw = like.dim(3);
        long[] out = x.shape();
        Value starts;
        Value ends;
        if (h >= 0 && w >= 0 && th >= 0 && tw >= 0) {
            long dh = (h - th) / 2;
            long dw = (w - tw) / 2;
            starts = graph.constantLongs(opName("crop_starts"), dh, dw);
            ends = graph.constantLongs(opName("crop_ends"), h - dh, w - dw);
            out[2] = h - 2 * dh;
            out[3] = w - 2 * dw;
        } else {
            Value size = int64Node("Shape", "crop_size", List.of(x), List.of(i("start", 2), i("end", 4)));
            Value target = int64Node("Shape", "crop_target", List.of(like), List.of(i("start", 2), i("end", 4)));
            Value diff = int64Node("Sub", "crop_diff", List.of(size, target), List.of());
            starts = int64Node("Div", "crop_starts", List.of(diff, graph.constantLongs(opName("two"), 2)), List.of());
            ends = int64Node("Sub", "crop_ends", List.of(size, starts), List.of());
            out[2] = -1;
            out[3] = -1;
        }
        return graph.node("Slice", opName("crop"), out,
                List.of(x, starts, ends, graph.constantLongs(opName("crop_axes"), 2, 3)), List.of());
    }

    /** A node computing a 1-D int64 shape vector of length 2 (the H, W bounds of {@link #centerCrop}). */
    private Value int64Node(String op, String hint, List<Value> inputs, List<AttributeProto> attrs) {
        return graph.nodeWithOutputs(op, opName(hint), List.of(new long[] {2}), inputs, attrs, Value.INT64).get(0);
    }
}
