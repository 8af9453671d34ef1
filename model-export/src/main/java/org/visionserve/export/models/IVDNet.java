package org.visionserve.export.models;

import java.util.List;
import org.visionserve.export.graph.Conv;
import org.visionserve.export.graph.Scope;
import org.visionserve.export.graph.Value;

/**
 * IVD-Net (Dolz, Desrosiers, Ben Ayed, "IVD-Net: Intervertebral disc localization and segmentation
 * in MRI with a multi-modal UNet", MICCAI 2018 IVDM3Seg), the authors' {@code IVD_Net_asym}: a UNet
 * with one encoder path per Dixon modality (fat, in-phase, opposed-phase, water). Every path takes
 * the pooled outputs of all four paths at each level (its own first, the others in cyclic order),
 * plus the centre crop of its own previous input (hyper-dense connections); the blocks are
 * residual Inception modules of dilated convolutions, factorised into k x 1 then 1 x k in the
 * encoder. One decoder: transposed convolutions, each level's skip the average of the upsampled
 * tensor and the four paths' encoder outputs. Parameter names are the reference's.
 */
public final class IVDNet {

    static final ModelDef.Reference REFERENCE = new ModelDef.Reference("josedolz/IVD-Net",
            "490d9b6c4f9a6a662bbcda6d7b2593bf0b3222c4", "IVD_Net.py (+ Blocks.py)",
            "IVD_Net_asym(input_nc=1, output_nc=2, ngf=32)");

    /** Input channels = encoder paths, in the order {@code main.py} concatenates them. */
    public static final List<String> MODALITIES = List.of("fat", "inn", "opp", "wat");
    /** Four 2x poolings, and centre crops that halve a size at three levels: H, W multiples of 32. */
    public static final int SIZE_MULTIPLE = 32;

    static final int NGF = 32;
    static final int NUM_CLASSES = 2;
    static final double BN_EPS = 1e-5;
    /** (kernel, padding, dilation) of the Inception branches conv_2_1 .. conv_2_5. */
    static final int[][] BRANCHES = {{1, 0, 1}, {3, 1, 1}, {5, 2, 1}, {3, 2, 2}, {3, 4, 4}};

    private IVDNet() {
    }

    public static List<ModelDef> models() {
        return List.of(model("ivd_net", -1, -1));
    }

    /**
     * The same network with a static slice size (a graph with fixed shapes, e.g. for engines that
     * want them); sizes that are not multiples of 32 are refused here, at export time.
     */
    public static ModelDef fixedSize(int height, int width) {
        checkSliceSize(height, width);
        return model("ivd_net_" + height + "x" + width, height, width);
    }

    /**
     * Throws unless the slice is {@value #SIZE_MULTIPLE}-divisible in both axes, saying why. The
     * service checks the same at request time (model.json: {@code sliceInput.sizeMultiple}): the
     * dynamic graph itself only fails inside ONNX Runtime, with a Concat shape error.
     */
    public static void checkSliceSize(long height, long width) {
        if (height <= 0 || width <= 0 || height % SIZE_MULTIPLE != 0 || width % SIZE_MULTIPLE != 0) {
            throw new IllegalArgumentException("IVD-Net needs a slice height and width that are positive multiples of "
                    + SIZE_MULTIPLE + " (four 2x poolings, and centre crops that halve the size), got "
                    + height + "x" + width + "; IVDM3Seg slices are 256x256");
        }
    }

    /** {@code height, width} of -1 make the spatial axes dynamic. */
    private static ModelDef model(String id, int height, int width) {
        boolean dynamic = height < 0;
        String size = dynamic ? "H and W dynamic, positive multiples of " + SIZE_MULTIPLE
                + " (the service must check: other sizes fail in ONNX Runtime with a shape error)"
                : "H x W fixed at " + height + "x" + width;
        String description = "IVD-Net (IVD_Net_asym, ngf 32), intervertebral disc segmentation of one 2-D sagittal "
                + "slice from 4 Dixon MRI modalities (IVDM3Seg, MICCAI 2018): input [B,4,H,W] float32, channels "
                + "fat, inn, opp, wat, each in [0,1], " + size + "; output logits [B,2,H,W] (0 background, 1 disc)";
        return new ModelDef(id, Task.SEGMENTATION, "ivd_net", description, REFERENCE, null, "ivdm3seg",
                g -> g.output("logits", forward(g.root(), g.input("input", MODALITIES.size(), height, width))),
                sliceInput(dynamic));
    }

    /** What the service needs to turn the four volumes of a data set into inputs, from the spec's data facts. */
    static SliceInput sliceInput(boolean dynamicSize) {
        List<SliceInput.Modality> modalities = List.of(
                new SliceInput.Modality("fat", "fat", "<id>_fat.nii"),
                new SliceInput.Modality("inn", "in-phase", "<id>_inn.nii"),
                new SliceInput.Modality("opp", "opposed-phase", "<id>_opp.nii"),
                new SliceInput.Modality("wat", "water", "<id>_wat.nii"));
        return new SliceInput(modalities,
                "sagittal: an IVDM3Seg volume is 36 x 256 x 256 voxels (2.0 x 1.25 x 1.25 mm); each of its 36 slices "
                        + "along the 2 mm axis is one 256x256 forward pass (the reference code trains on slices "
                        + "exported to PNG and does not name the axis; the 256x256 in-plane size does)",
                new int[] {256, 256}, SIZE_MULTIPLE, dynamicSize, new float[] {0f, 1f},
                "each modality on its own: the reference reads an 8-bit grey PNG slice and applies torchvision "
                        + "ToTensor (value / 255), no mean/std; how the NIfTI intensities were mapped to 8 bits is "
                        + "not in the reference code (a per-volume min-max to [0, 255] is the usual way)",
                "logits [B,2,H,W], no softmax in the graph: probabilities = softmax over axis 1, "
                        + "mask = argmax over axis 1 (1 = disc; all discs share one label)");
    }

    static Value forward(Scope m, Value x) {
        int paths = MODALITIES.size();
        Value[] d1 = new Value[paths];
        for (int p = 0; p < paths; p++) {
            d1[p] = inceptionDilationAsym(m.sub("down_1_" + p), m.slice(x, 1, p, p + 1), NGF);
        }
        // Level 2: each path sees the four pooled level-1 outputs, its own first.
        Value[] q1 = maxPool(m, d1);
        Value[] in2 = new Value[paths];
        Value[] d2 = new Value[paths];
        for (int p = 0; p < paths; p++) {
            in2[p] = m.concat(1, ownFirst(q1, p));
            d2[p] = inceptionDilationAsym(m.sub("down_2_" + p), in2[p], 2 * NGF);
        }
        // Levels 3 and 4: the same, plus the centre of the path's own previous input.
        Value[] q2 = maxPool(m, d2);
        Value[] in3 = new Value[paths];
        Value[] d3 = new Value[paths];
        for (int p = 0; p < paths; p++) {
            in3[p] = m.concat(1, append(ownFirst(q2, p), m.centerCrop(in2[p], q2[p])));
            d3[p] = inceptionDilationAsym(m.sub("down_3_" + p), in3[p], 4 * NGF);
        }
        Value[] q3 = maxPool(m, d3);
        Value[] in4 = new Value[paths];
        Value[] d4 = new Value[paths];
        for (int p = 0; p < paths; p++) {
            in4[p] = m.concat(1, append(ownFirst(q3, p), m.centerCrop(in3[p], q3[p])));
            d4[p] = inceptionDilationAsym(m.sub("down_4_" + p), in4[p], 8 * NGF);
        }
        // Bridge: the pooled paths in fixed order, and only path 0's cropped input.
        Value[] q4 = maxPool(m, d4);
        Value bridge = inceptionDilationAsym(m.sub("bridge"),
                m.concat(1, append(q4, m.centerCrop(in4[0], q4[0]))), 16 * NGF);

        Value u = bridge;
        Value[][] encoderOutputs = {d4, d3, d2, d1};
        for (int level = 1; level <= 4; level++) {
            int dim = 16 * NGF >> level;
            Value up = decod(m.sub("deconv_" + level), u, dim);
            Value skip = average(m.sub("skip_" + level), up, encoderOutputs[level - 1]);
            u = inceptionDilation(m.sub("up_" + level), skip, dim);
        }
        return m.sub("out").tap(m.sub("out").conv2d(u, Conv.of(NUM_CLASSES, 3).pad(1)));
    }

    /**
     * {@code Conv_residual_conv_Inception_Dilation_asymmetric} (encoder): conv_1 3x3, five dilated
     * branches factorised into k x 1 then 1 x k, concatenated, fused by a 1x1 conv, added to conv_1's
     * output, then conv_3 3x3.
     */
    static Value inceptionDilationAsym(Scope s, Value x, int dim) {
        return residualInception(s, x, dim, true);
    }

    /** {@code Conv_residual_conv_Inception_Dilation} (decoder): the same with square branch convs. */
    static Value inceptionDilation(Scope s, Value x, int dim) {
        return residualInception(s, x, dim, false);
    }

    private static Value residualInception(Scope s, Value x, int dim, boolean asymmetric) {
        Value c1 = convBlock(s.sub("conv_1"), x, Conv.of(dim, 3).pad(1));
        Value[] branches = new Value[BRANCHES.length];
        for (int b = 0; b < BRANCHES.length; b++) {
            int k = BRANCHES[b][0];
            int pad = BRANCHES[b][1];
            int dil = BRANCHES[b][2];
            Scope branch = s.sub("conv_2_" + (b + 1));
            branches[b] = asymmetric ? asymBlock(branch, c1, k, pad, dil)
                    : convBlock(branch, c1, Conv.of(dim, k).pad(pad).dilation(dil));
        }
        Value fused = convBlock(s.sub("conv_2_output"), s.concat(1, branches), Conv.of(dim, 1));
        return s.tap(convBlock(s.sub("conv_3"), s.add(fused, c1), Conv.of(dim, 3).pad(1)));
    }

    /** {@code conv_block}: Conv2d, BatchNorm, ReLU ({@code nn.Sequential} indices 0, 1, 2). */
    static Value convBlock(Scope s, Value x, Conv conv) {
        return s.relu(s.sub("1").batchNorm(s.sub("0").conv2d(x, conv), BN_EPS));
    }

    /** {@code conv_block_Asym_Inception}: (k x 1, dilation d x 1), BN, ReLU, (1 x k, 1 x d), BN, ReLU. */
    static Value asymBlock(Scope s, Value x, int k, int pad, int dil) {
        int dim = x.channels();
        x = s.relu(s.sub("1").batchNorm(s.sub("0").conv2d(x, Conv.of(dim, k, 1).pad(pad, 0).dilation(dil, 1)), BN_EPS));
        return s.relu(s.sub("4").batchNorm(s.sub("3").conv2d(x, Conv.of(dim, 1, k).pad(0, pad).dilation(1, dil)), BN_EPS));
    }

    /** {@code conv_decod_block}: ConvTranspose2d 3x3 stride 2 (pad 1, output padding 1: exactly 2x), BN, ReLU. */
    static Value decod(Scope s, Value x, int dim) {
        Value y = s.sub("0").convTranspose2d(x, Conv.of(dim, 3).stride(2).pad(1), 1);
        return s.tap(s.relu(s.sub("1").batchNorm(y, BN_EPS)));
    }

    /** {@code (up + e_0 + e_1 + e_2 + e_3) / 5}, summed left to right as the reference writes it. */
    static Value average(Scope s, Value up, Value[] encoderOutputs) {
        Value sum = up;
        for (Value e : encoderOutputs) {
            sum = s.add(sum, e);
        }
        return s.div(sum, s.constant(encoderOutputs.length + 1));
    }

    /** {@code nn.MaxPool2d(2, 2)} of each path. */
    private static Value[] maxPool(Scope m, Value[] xs) {
        Value[] out = new Value[xs.length];
        for (int p = 0; p < xs.length; p++) {
            out[p] = m.maxPool(xs[p], 2, 2, 0, false);
        }
        return out;
    }

    /** Path {@code p}'s tensor first, then the other paths' in cyclic order. */
    private static Value[] ownFirst(Value[] xs, int p) {
        Value[] out = new Value[xs.length];
        for (int k = 0; k < xs.length; k++) {
            out[k] = xs[(p + k) % xs.length];
        }
        return out;
    }

    private static Value[] append(Value[] xs, Value last) {
        Value[] out = java.util.Arrays.copyOf(xs, xs.length + 1);
        out[xs.length] = last;
        return out;
    }
}
