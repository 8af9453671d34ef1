package org.visionserve.export.models;

import java.util.List;
import org.visionserve.export.graph.Conv;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.graph.Scope;
import org.visionserve.export.graph.Value;

/**
 * InceptionNeXt (Yu et al., "InceptionNeXt: When Inception Meets ConvNeXt", 2023), as timm's
 * {@code MetaNeXt}: a 4x4 patchify stem, four stages of MetaNeXt blocks whose token mixer is an
 * Inception depthwise convolution (identity, 3x3, 1xk and kx1 branches over channel groups), and an
 * MLP classifier head. Parameter names are timm's, so its safetensors checkpoints load unchanged.
 */
public final class InceptionNeXt {

    static final ModelDef.Reference TIMM = new ModelDef.Reference("huggingface/pytorch-image-models",
            "aa4b5850c1543fa488abf260f18390eda46cf85d", "timm/models/inception_next.py", "timm.create_model");

    /** depths, dims and MLP ratios per stage; the band kernel and branch ratio of the token mixer. */
    record Config(int[] depths, int[] dims, int[] mlpRatios, int bandKernel, double branchRatio) {
    }

    /** The smallest variant (4,156,520 parameters), served as a quick model. */
    static final Config ATTO = new Config(new int[] {2, 2, 6, 2}, new int[] {40, 80, 160, 320},
            new int[] {4, 4, 4, 3}, 9, 0.25);
    static final Config TINY = new Config(new int[] {3, 3, 9, 3}, new int[] {96, 192, 384, 768},
            new int[] {4, 4, 4, 3}, 11, 0.125);
    static final Config SMALL = new Config(new int[] {3, 3, 27, 3}, new int[] {96, 192, 384, 768},
            new int[] {4, 4, 4, 3}, 11, 0.125);
    static final Config BASE = new Config(new int[] {3, 3, 27, 3}, new int[] {128, 256, 512, 1024},
            new int[] {4, 4, 4, 3}, 11, 0.125);

    private InceptionNeXt() {
    }

    public static List<ModelDef> models() {
        return List.of(
                model("inception_next_atto", ATTO, 224, 0.875, "InceptionNeXt-atto, ImageNet-1k, 224 px (small, fast)"),
                model("inception_next_tiny", TINY, 224, 0.875, "InceptionNeXt-T, ImageNet-1k, 224 px"),
                model("inception_next_small", SMALL, 224, 0.875, "InceptionNeXt-S, ImageNet-1k, 224 px"),
                model("inception_next_base", BASE, 224, 0.95, "InceptionNeXt-B, ImageNet-1k, 224 px"),
                model("inception_next_base_384", BASE, 384, 1.0, "InceptionNeXt-B, ImageNet-1k, 384 px"));
    }

    private static ModelDef model(String id, Config cfg, int size, double cropPct, String description) {
        return new ModelDef(id, Task.CLASSIFICATION, "inception_next", description, TIMM,
                Preprocessing.timm(size, cropPct, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD, false),
                "imagenet-1k", g -> g.output("logits", forward(g.root(), g.input("input", 3, size, size), cfg, 1000)));
    }

    static Value forward(Scope m, Value x, Config cfg, int numClasses) {
        x = stem(m.sub("stem"), x, cfg.dims()[0]);
        for (int i = 0; i < 4; i++) {
            x = stage(m.sub("stages", i), x, i, cfg);
        }
        return mlpClassifierHead(m.sub("head"), x, numClasses);
    }

    /** Conv 4x4 stride 4, then BatchNorm. */
    static Value stem(Scope s, Value x, int dim) {
        x = s.sub("0").tap(s.sub("0").conv2d(x, Conv.of(dim, 4).stride(4)));
        return s.tap(s.sub("1").batchNorm(x, 1e-5));
    }

    /** Stages after the first open with BatchNorm then a 2x2 stride-2 conv. */
    static Value stage(Scope s, Value x, int index, Config cfg) {
        int dim = cfg.dims()[index];
        if (index > 0) {
            Scope down = s.sub("downsample");
            x = down.sub("0").batchNorm(x, 1e-5);
            x = down.tap(down.sub("1").conv2d(x, Conv.of(dim, 2).stride(2)));
        }
        for (int j = 0; j < cfg.depths()[index]; j++) {
            x = metaNeXtBlock(s.sub("blocks", j), x, cfg.mlpRatios()[index], cfg);
        }
        return s.tap(x);
    }

    /** token mixer, BatchNorm, ConvMlp, per-channel layer scale {@code gamma}, residual. */
    static Value metaNeXtBlock(Scope s, Value x, int mlpRatio, Config cfg) {
        int dim = x.channels();
        Value t = s.sub("token_mixer").tap(inceptionDwConv2d(s.sub("token_mixer"), x, cfg));
        t = s.sub("norm").tap(s.sub("norm").batchNorm(t, 1e-5));
        t = s.sub("mlp").tap(convMlp(s.sub("mlp"), t, dim * mlpRatio));
        Value gamma = s.reshape(s.param("gamma", dim), 1, dim, 1, 1);
        return s.tap(s.add(x, s.mul(t, gamma)));
    }

    /**
     * Channels split as [identity C-3g, square g, band-W g, band-H g], g = int(C * branchRatio),
     * with depthwise 3x3, 1xk and kx1 convolutions on the last three; concatenated in that order.
     */
    static Value inceptionDwConv2d(Scope s, Value x, Config cfg) {
        int c = x.channels();
        int g = (int) (c * cfg.branchRatio());
        int k = cfg.bandKernel();
        Value[] parts = s.split(x, 1, c - 3L * g, g, g, g);
        Value hw = s.sub("dwconv_hw").conv2d(parts[1], Conv.of(g, 3).pad(1).depthwise());
        Value w = s.sub("dwconv_w").conv2d(parts[2], Conv.of(g, 1, k).pad(0, k / 2).depthwise());
        Value h = s.sub("dwconv_h").conv2d(parts[3], Conv.of(g, k, 1).pad(k / 2, 0).depthwise());
        return s.concat(1, parts[0], hw, w, h);
    }

    /** 1x1 conv, GELU, 1x1 conv ({@code mlp.norm} is an identity). */
    static Value convMlp(Scope s, Value x, int hidden) {
        int dim = x.channels();
        x = s.gelu(s.sub("fc1").conv2d(x, Conv.of(hidden, 1)));
        return s.sub("fc2").conv2d(x, Conv.of(dim, 1));
    }

    /** Global average pool, fc1 to 3C, GELU, then LayerNorm (activation before the norm), fc2. */
    static Value mlpClassifierHead(Scope s, Value x, int numClasses) {
        int dim = x.channels();
        x = s.sub("global_pool").tap(s.globalAvgPool(x));
        x = s.gelu(s.sub("fc1").tap(s.sub("fc1").linear(x, 3 * dim)));
        x = s.sub("norm").tap(s.sub("norm").layerNorm(x, 1e-6));
        return s.sub("fc2").tap(s.sub("fc2").linear(x, numClasses));
    }
}
