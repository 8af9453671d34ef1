package org.visionserve.export.models;

import java.util.List;
import java.util.stream.IntStream;
import org.visionserve.export.graph.Conv;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.graph.Scope;
import org.visionserve.export.graph.Value;

/**
 * iFormer (Si et al., "Inception Transformer", NeurIPS 2022), as the authors'
 * {@code InceptionTransformer}: a two-conv stem, four stages of channels-last blocks with absolute
 * position embeddings, and a LayerNorm + token mean + linear head. Each block's token mixer splits
 * the channels: a high-frequency part (1x1 + depthwise 3x3 conv on one half, 3x3 max pool + 1x1 on
 * the other) and a low-frequency part (multi-head self-attention, on a 2x2-pooled grid in stages 1-2),
 * fused by a depthwise 3x3 residual conv and a 1x1 projection. The attention share of the channels
 * grows with depth (the "frequency ramp"). Parameter names are the authors' state-dict keys.
 */
public final class IFormer {

    /** The exported graph is tied to the native 224 px input: 56, 28, 14, 7 token grids. */
    static final int INPUT_SIZE = 224;
    static final int[] GRIDS = {56, 28, 14, 7};

    /**
     * depths, widths and {@code num_heads} per stage (head width {@code dim / num_heads}, 32 here);
     * {@code attentionHeads}: the attention heads of every block of the network, stage 1 first.
     */
    record Config(int[] depths, int[] dims, int[] numHeads, int[] attentionHeads) {
    }

    static final Config SMALL = new Config(new int[] {3, 3, 9, 3}, new int[] {96, 192, 320, 384},
            new int[] {3, 6, 10, 12}, ramp(3, 1, 3, 3, 4, 7, 5, 9, 3, 11));
    static final Config BASE = new Config(new int[] {4, 6, 14, 6}, new int[] {96, 192, 384, 512},
            new int[] {3, 6, 12, 16}, ramp(4, 1, 6, 3, 7, 8, 7, 10, 6, 15));
    static final Config LARGE = new Config(new int[] {4, 6, 18, 8}, new int[] {96, 192, 448, 640},
            new int[] {3, 6, 14, 20}, ramp(4, 1, 6, 3, 9, 10, 9, 12, 8, 19));

    private IFormer() {
    }

    public static List<ModelDef> models() {
        return List.of(
                model("iformer_small", SMALL, "iFormer-S"),
                model("iformer_base", BASE, "iFormer-B"),
                model("iformer_large", LARGE, "iFormer-L"));
    }

    private static ModelDef model(String id, Config cfg, String name) {
        var reference = new ModelDef.Reference("sail-sg/iFormer", "725d8e7f455b5e17be20788b9bcd6c6c505c4be0",
                "models/inception_transformer.py", "models.inception_transformer." + id);
        String description = name + ", ImageNet-1k, 224 px only: the position embeddings and the attention"
                + " grids are fixed to the native size (input size 224x224 exactly)";
        return new ModelDef(id, Task.CLASSIFICATION, "iformer", description, reference,
                Preprocessing.timm(INPUT_SIZE, 0.9, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD, true),
                "imagenet-1k", g -> build(g, cfg, INPUT_SIZE));
    }

    /** Builds the classifier for a {@code size x size} input; only the native 224 is supported. */
    static void build(Graph g, Config cfg, int size) {
        // Another size would need each pos_embed resized (bilinear, align_corners=False, in NCHW) to the
        // new grids and stored as a constant at export time (spec section 4, "Resolution"), plus square
        // grids for the attention reshape. Refusing beats silently running on mismatched embeddings.
        if (size != INPUT_SIZE) {
            throw new IllegalArgumentException("iFormer export supports only the native " + INPUT_SIZE + "x"
                    + INPUT_SIZE + " input, not " + size + "x" + size
                    + ": its position embeddings are fixed to the 56/28/14/7 token grids");
        }
        g.output("logits", forward(g.root(), g.input("input", 3, size, size), cfg, 1000));
    }

    static Value forward(Scope m, Value x, Config cfg, int numClasses) {
        // pos_embed1..4 are the model's own parameters, first in its state dict; NHWC [1, H, W, C].
        Value[] posEmbed = new Value[4];
        for (int i = 0; i < 4; i++) {
            posEmbed[i] = m.param("pos_embed" + (i + 1), 1, GRIDS[i], GRIDS[i], cfg.dims()[i]);
        }
        int blockIndex = 0;
        for (int i = 0; i < 4; i++) {
            int dim = cfg.dims()[i];
            x = i == 0 ? firstPatchEmbed(m.sub("patch_embed"), x, dim)
                    : patchEmbed(m.sub("patch_embed" + (i + 1)), m.toChannelsFirst(x), dim);
            Scope blocks = m.sub("blocks" + (i + 1));
            x = blocks.tapInput(m.add(x, posEmbed[i]));
            for (int j = 0; j < cfg.depths()[i]; j++) {
                // Stages 1-2 attend on a 2x2-pooled grid and have no layer scales; stages 3-4 the reverse.
                x = block(blocks.sub(j), x, dim / cfg.numHeads()[i], cfg.attentionHeads()[blockIndex++], i < 2, i >= 2);
            }
            blocks.tap(x);
        }
        Value tokens = m.reshape(x, 0, -1, x.dim(-1));
        tokens = m.sub("norm").tap(m.sub("norm").layerNorm(tokens, 1e-6));
        Scope head = m.sub("head");
        Value pooled = head.tapInput(m.reduceMean(tokens, false, 1));
        return head.tap(head.linear(pooled, numClasses));
    }

    /** Conv 3x3 s2 to C/2, BatchNorm, GELU, Conv 3x3 s2 to C, BatchNorm; out channels-last. */
    static Value firstPatchEmbed(Scope s, Value x, int dim) {
        x = s.sub("proj1").tap(s.sub("proj1").conv2d(x, Conv.of(dim / 2, 3).stride(2).pad(1)));
        x = s.gelu(s.sub("norm1").batchNorm(x, 1e-5));
        x = s.sub("proj2").conv2d(x, Conv.of(dim, 3).stride(2).pad(1));
        return s.tap(s.toChannelsLast(s.sub("norm2").batchNorm(x, 1e-5)));
    }

    /** Downsampling between stages: Conv 3x3 s2, BatchNorm; NCHW in, channels-last out. */
    static Value patchEmbed(Scope s, Value x, int dim) {
        x = s.sub("proj").conv2d(x, Conv.of(dim, 3).stride(2).pad(1));
        return s.tap(s.toChannelsLast(s.sub("norm").batchNorm(x, 1e-5)));
    }

    /** Pre-norm block on NHWC: {@code x + ls1 * Mixer(LN(x))}, then {@code x + ls2 * Mlp(LN(x))}. */
    static Value block(Scope s, Value x, int headDim, int attentionHeads, boolean pooledAttention, boolean layerScale) {
        int dim = Math.toIntExact(x.dim(-1));
        Value ls1 = layerScale ? s.param("layer_scale_1", dim) : null;
        Value ls2 = layerScale ? s.param("layer_scale_2", dim) : null;
        Value t = mixer(s.sub("attn"), s.sub("norm1").layerNorm(x, 1e-6), headDim, attentionHeads, pooledAttention);
        x = s.add(x, ls1 == null ? t : s.mul(t, ls1));
        t = mlp(s.sub("mlp"), s.sub("norm2").layerNorm(x, 1e-6), 4 * dim);
        x = s.add(x, ls2 == null ? t : s.mul(t, ls2));
        return s.tap(x);
    }

    /**
     * Inception token mixer on NHWC: channels [0, high) to the HighMixer, the last
     * {@code low = heads * headDim} to the LowMixer; concatenated high first, then
     * {@code x + dwConv3x3(x)} and a 1x1 projection back to the block width.
     */
    static Value mixer(Scope s, Value x, int headDim, int attentionHeads, boolean pooledAttention) {
        x = s.toChannelsFirst(x);
        int dim = x.channels();
        int low = attentionHeads * headDim;
        Value[] parts = s.split(x, 1, dim - low, low);
        Value hx = highMixer(s.sub("high_mixer"), parts[0]);
        Value lx = lowMixer(s.sub("low_mixer"), parts[1], attentionHeads, pooledAttention);
        x = s.concat(1, hx, lx);
        int fused = x.channels();
        x = s.add(x, s.sub("conv_fuse").conv2d(x, Conv.of(fused, 3).pad(1).depthwise().noBias()));
        x = s.sub("proj").conv2d(x, Conv.of(dim, 1));
        return s.tap(s.toChannelsLast(x));
    }

    /**
     * High-frequency mixer, each half doubled in width: 1x1 conv, depthwise 3x3, GELU on the first
     * half; 3x3 max pool (stride 1), 1x1 conv with bias, GELU on the second.
     */
    static Value highMixer(Scope s, Value x) {
        int half = x.channels() / 2;
        Value[] parts = s.split(x, 1, half, x.channels() - half);
        Value cx = s.sub("conv1").conv2d(parts[0], Conv.of(2 * half, 1).noBias());
        cx = s.gelu(s.sub("proj1").conv2d(cx, Conv.of(2 * half, 3).pad(1).depthwise().noBias()));
        Value px = s.maxPool(parts[1], 3, 1, 1, false);
        px = s.gelu(s.sub("proj2").conv2d(px, Conv.of(2 * half, 1)));
        return s.concat(1, cx, px);
    }

    /**
     * Low-frequency mixer: multi-head self-attention over the grid's tokens (row-major), optionally on
     * a 2x2 average-pooled grid that is upsampled back by nearest neighbour. The qkv output index is
     * {@code s * low + head * headDim + d} for s in (q, k, v); scale {@code headDim^-0.5} after q.k^T.
     */
    static Value lowMixer(Scope s, Value x, int heads, boolean pooled) {
        int low = x.channels();
        int headDim = low / heads;
        Value xa = pooled ? s.avgPool(x, 2, 2, 0, false, false) : x;
        long h = xa.dim(2);
        long w = xa.dim(3);
        long n = h * w;
        Value tokens = s.reshape(s.toChannelsLast(xa), 0, n, low);
        Value[] qkv = s.split(s.sub("qkv").linear(tokens, 3 * low), -1, low, low, low);
        Value q = s.transpose(s.reshape(qkv[0], 0, n, heads, headDim), 0, 2, 1, 3);   // [B, a, N, d]
        Value kT = s.transpose(s.reshape(qkv[1], 0, n, heads, headDim), 0, 2, 3, 1);  // [B, a, d, N]
        Value v = s.transpose(s.reshape(qkv[2], 0, n, heads, headDim), 0, 2, 1, 3);   // [B, a, N, d]
        Value attn = s.softmax(s.mul(s.matmul(q, kT), (float) Math.pow(headDim, -0.5)), -1);
        // (attn @ v) as [B, a, d, N] flattens to channel = head * headDim + d, token-major within.
        Value out = s.reshape(s.transpose(s.matmul(attn, v), 0, 1, 3, 2), 0, low, h, w);
        return pooled ? s.upsampleNearest(out, 2) : out;
    }

    /** timm {@code Mlp} on the last axis: Linear to 4C, GELU, Linear back. */
    static Value mlp(Scope s, Value x, int hidden) {
        int dim = Math.toIntExact(x.dim(-1));
        x = s.gelu(s.sub("fc1").linear(x, hidden));
        return s.tap(s.sub("fc2").linear(x, dim));
    }

    /** Per-block attention heads from (block count, heads) pairs: {@code ramp(3, 1, 3, 3)} = 1,1,1,3,3,3. */
    static int[] ramp(int... countHeadPairs) {
        return IntStream.range(0, countHeadPairs.length / 2)
                .flatMap(p -> IntStream.generate(() -> countHeadPairs[2 * p + 1]).limit(countHeadPairs[2 * p]))
                .toArray();
    }
}
