#!/usr/bin/python3
"""The golden vectors of a timm InceptionNeXt variant: seeded weights and inputs, CPU, float32.

Made model-export/src/test/resources/golden/inception_next_atto (see the README.md there).
Needs PyTorch and numpy (Debian bookworm: apt-get install python3-torch python3-numpy) and timm's
timm/models/inception_next.py (the reference; timm itself is not needed: the few timm helpers that
file imports are stood in for below, with timm's behaviour at the settings used).

Usage: /usr/bin/python3 make_inception_next_golden.py INCEPTION_NEXT_PY MODEL_ID OUT_DIR SEED_CHECK_JSON
"""
import json
import math
import sys

import numpy as np

M64 = (1 << 64) - 1


def fnv1a64(name):
    h = 0xcbf29ce484222325
    for b in name.encode('utf-8'):
        h = ((h ^ b) * 0x100000001b3) & M64
    return h


def stream(name, n, seed=0):
    """The r values (float64 in [-1, 1)) of a named stream: splitmix64 finaliser over key + (i+1)*golden."""
    key = np.uint64(fnv1a64(name) ^ seed)
    with np.errstate(over='ignore'):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = key + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(11)).astype(np.float64) * (2.0 ** -53)
    return 2.0 * u - 1.0


def seeded_tensor(name, shape, seed=0):
    n = int(np.prod(shape)) if len(shape) else 1
    r = stream(name, n, seed)
    if name.endswith('num_batches_tracked'):
        return np.zeros(shape, dtype=np.int64)
    if name.endswith('running_var'):
        v = 1 + 0.1 * r
    elif name.endswith('running_mean'):
        v = 0.1 * r
    elif len(shape) >= 2:
        fan_in = int(np.prod(shape[1:]))
        v = r * np.sqrt(6.0 / fan_in)
    elif len(shape) == 1 and name.endswith('bias'):
        v = 0.1 * r
    elif len(shape) == 1:
        v = 1 + 0.1 * r
    else:
        v = 0.1 * r
    return v.astype(np.float32).reshape(shape)


def check_generator(check_file):
    check = json.load(open(check_file))
    for c in check['cases']:
        assert '0x%016x' % fnv1a64(c['name']) == c['fnv1a64'], c['name']
        r = stream(c['name'], len(c['r_first4']), 0)
        assert [float(x) for x in r] == c['r_first4'], c['name']
    for v in check['values']:
        t = seeded_tensor(v['name'], v['shape'], check['seed']).reshape(-1)
        bits = ['0x%08x' % b for b in t[:len(v['first_bits'])].view(np.uint32)]
        assert bits == [b.lower() for b in v['first_bits']], (v['name'], bits, v['first_bits'])


def load_reference(path):
    """Imports timm's inception_next.py as timm.models.inception_next, with stand-ins for its timm imports."""
    import collections.abc
    import importlib.util
    import types
    from itertools import repeat

    import torch.nn as nn

    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__path__ = []
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    def to_2tuple(x):
        return tuple(x) if isinstance(x, collections.abc.Iterable) and not isinstance(x, str) else tuple(repeat(x, 2))

    def get_padding(kernel_size, stride=1, dilation=1, **_):
        return ((stride - 1) + dilation * (kernel_size - 1)) // 2

    class DropPath(nn.Identity):  # drop_path_rate is 0: timm builds nn.Identity then anyway
        pass

    class SelectAdaptivePool2d(nn.Module):
        """timm's pool_type='avg' on NCHW: nn.AdaptiveAvgPool2d, then flatten."""

        def __init__(self, output_size=1, pool_type='avg', flatten=False, input_fmt='NCHW'):
            super().__init__()
            assert pool_type == 'avg' and input_fmt == 'NCHW'
            self.pool = nn.AdaptiveAvgPool2d(output_size)
            self.flatten = nn.Flatten(1) if flatten else nn.Identity()

        def feat_mult(self):
            return 1

        def forward(self, x):
            return self.flatten(self.pool(x))

    def build_model_with_cfg(model_cls, variant, pretrained, feature_cfg=None, **kwargs):
        assert not pretrained
        return model_cls(**kwargs)

    def unused(*_, **__):
        raise NotImplementedError

    module('timm')
    module('timm.data', IMAGENET_DEFAULT_MEAN=(0.485, 0.456, 0.406), IMAGENET_DEFAULT_STD=(0.229, 0.224, 0.225))
    module('timm.layers', trunc_normal_=nn.init.trunc_normal_, DropPath=DropPath, to_2tuple=to_2tuple,
           get_padding=get_padding, SelectAdaptivePool2d=SelectAdaptivePool2d)
    module('timm.models')
    module('timm.models._builder', build_model_with_cfg=build_model_with_cfg)
    module('timm.models._features', feature_take_indices=unused)
    module('timm.models._manipulate', checkpoint_seq=unused)
    module('timm.models._registry', register_model=lambda fn: fn, generate_default_cfgs=lambda cfgs: cfgs)
    spec = importlib.util.spec_from_file_location('timm.models.inception_next', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def stats(a):
    a64 = a.astype(np.float64)
    return {'mean': float(a64.mean()), 'std': float(a64.std()), 'min': float(a.min()), 'max': float(a.max())}


def main():
    src, model_id, out, seed_check = sys.argv[1:5]
    import torch
    inception_next = load_reference(src)

    torch.set_num_threads(2)
    check_generator(seed_check)
    model = getattr(inception_next, model_id)(pretrained=False, num_classes=1000).eval()
    sd = model.state_dict()
    filled = {k: torch.from_numpy(seeded_tensor(k, list(v.shape))) for k, v in sd.items()}
    model.load_state_dict(filled, strict=True)

    shape = [2, 3, 224, 224]
    x = stream('input', int(np.prod(shape)), 0).astype(np.float32).reshape(shape)

    points = ['stem.0', 'stem', 'stages.0.blocks.0.token_mixer', 'stages.0.blocks.0.norm', 'stages.0.blocks.0.mlp',
              'stages.0.blocks.0', 'stages.0']
    for s in (1, 2, 3):
        points += ['stages.%d.downsample' % s, 'stages.%d.blocks.0' % s, 'stages.%d' % s]
    points += ['head.global_pool', 'head.fc1', 'head.norm', 'head.fc2']
    modules = dict(model.named_modules())
    taps = {}
    for p in points:
        modules[p].register_forward_hook(lambda m, i, o, p=p: taps.__setitem__(p, o.detach().numpy().copy()))
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).numpy()
    logits.astype('<f4').tofile(out + '/logits.f32')

    trace = []
    for p in points:
        t = taps[p]
        trace.append({'point': p, 'kind': 'output', 'layout': 'NCHW' if t.ndim == 4 else 'NC',
                      'shape': list(t.shape), **stats(t), 'first8': [float(v) for v in t[0].reshape(-1)[:8]]})
    manifest = {
        'model': model_id,
        'task': 'classification',
        'reference': {'repo': 'huggingface/pytorch-image-models', 'commit': REF_COMMIT,
                      'file': 'timm/models/inception_next.py',
                      'constructor': "timm.create_model('%s', pretrained=False, num_classes=1000)" % model_id},
        'seed': 0,
        'param_count': int(sum(p.numel() for p in model.parameters())),
        'buffer_count': int(sum(b.numel() for b in model.buffers())),
        'state_dict': [[k, list(v.shape)] for k, v in sd.items()],
        'inputs': [{'name': 'input', 'shape': shape, 'dtype': 'float32',
                    'generator': "seeded stream 'input', r in [-1,1)",
                    'first4': [float(v) for v in x.reshape(-1)[:4]]}],
        'outputs': [{'name': 'logits', 'shape': list(logits.shape), 'dtype': 'float32', 'file': 'logits.f32',
                     'byte_order': 'little-endian', 'finite': bool(np.isfinite(logits).all()), 'stats': stats(logits),
                     'top5_per_item': [[int(j) for j in np.argsort(-row, kind='stable')[:5]] for row in logits],
                     'first8': [float(v) for v in logits.reshape(-1)[:8]]}],
        'trace_notes': TRACE_NOTES,
        'trace': trace,
        'pretrained_cfg': PRETRAINED_CFG(model_id),
        'notes': NOTES,
        'environment': {'torch': torch.__version__, 'numpy': np.__version__,
                        'timm': 'model file only (see reference.commit); timm helpers shimmed'},
    }
    with open(out + '/manifest.json', 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    print(model_id, manifest['param_count'], 'params; top5', manifest['outputs'][0]['top5_per_item'])


REF_COMMIT = 'bfa7ec917afdcd3df40a2e8318b95f2da269b2c1'
TRACE_NOTES = ('stats are over the whole tensor (both batch items), std is the population std (ddof 0), computed '
               'in float64; first8 are the first 8 values of batch item 0 flattened in the layout given.')


def PRETRAINED_CFG(model_id):
    return {'input_size': [3, 224, 224], 'crop_pct': 0.875, 'interpolation': 'bicubic',
            'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225], 'num_classes': 1000, 'pool_size': [7, 7],
            'fixed_input_size': False, 'crop_mode': 'center', 'first_conv': 'stem.0', 'classifier': 'head.fc2',
            'tag': 'sail_in1k', 'architecture': model_id, 'license': 'apache-2.0'}


NOTES = [
    'Same architecture code as inception_next_tiny/small/base (timm MetaNeXt); atto: depths (2, 2, 6, 2), '
    'dims (40, 80, 160, 320), token mixer InceptionDWConv2d with band_kernel_size 9 and branch_ratio 0.25 '
    '(g = int(C*0.25): 10, 20, 40, 80 channels per branch; band convs 1x9 pad (0,4) and 9x1 pad (4,0)).',
    'MLP ratios per stage are (4, 4, 4, 3); head: global average pool -> Linear(C, 3C) -> GELU (erf) -> '
    'LayerNorm(3C, eps 1e-6) -> Linear(3C, 1000).',
    'BatchNorm (eps 1e-5) in eval mode everywhere; drop path and dropout are identities in eval.',
    'num_batches_tracked entries are int64 scalars (shape []); listed in state_dict and counted in buffer_count.',
    'Weights: every state_dict entry is filled by the seeded generator (seeded-init.md), seed 0, using the exact '
    'key names listed here; the generator was reimplemented in numpy and checked against seeded-init-check.json.',
    'Provenance: timm is not installed; the model code is timm/models/inception_next.py at reference.commit, '
    'with the module classes and the atto constructor as published (methods the forward pass does not use, '
    'e.g. forward_intermediates, left out) and the timm helpers it imports shimmed (get_padding, to_2tuple, SelectAdaptivePool2d avg = '
    'AdaptiveAvgPool2d(1) + flatten, build_model_with_cfg = plain constructor). The same harness reproduces the '
    'inception_next_tiny golden (timm 1.0.29.dev0 at aa4b585) within 7.6e-06 max abs on the logits (float32 '
    'rounding of CPU kernels), with an identical state dict and top-5.',
]

if __name__ == '__main__':
    main()
