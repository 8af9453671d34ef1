"""Checkpoints written by the real torch.save (Debian bookworm's python3-torch 1.13.1), plus a
safetensors file laid out as the safetensors library writes it, and expected.json with every value.

Run from this directory: /usr/bin/python3 generate.py
Writes:
  state_dict.pt      torch.save(model.state_dict()) of a small conv/bn/linear module, plus F16, BF16
                     and F64 tensors and views (transposed, channels-last, offset slice, strided slice)
  nested.pth         a training checkpoint: {"epoch", "arch", "state_dict", "best_acc1", "optimizer"}
  module_prefix.pth  nn.DataParallel(model).state_dict(): every key starts with "module."
  big_endian.pt      state_dict.pt converted to what torch.save writes on a big-endian host (see below)
  timm.safetensors   F32, F16, BF16, F64 and I64 tensors with __metadata__ {"format": "pt"}, as timm
                     saves its weights
  expected.json      for each file, its keys in file order and each tensor's dtype, shape and values
                     (row-major; floating point as the float32 torch's .float() gives)
"""
import copy
import io
import json
import pickle
import struct
import sys
import zipfile

import numpy as np
import torch
from torch import nn

OUT = {}
assert sys.byteorder == "little"


def filled(shape, dtype, start, step):
    """start, start + step, ... in row-major order: values a test can also reason about."""
    n = int(np.prod(shape)) if len(shape) else 1
    return (torch.arange(n, dtype=torch.float64) * step + start).reshape(shape).to(dtype)


def describe(t):
    dtype = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
             torch.int64: "I64"}[t.dtype]
    values = t.flatten().tolist() if t.dtype == torch.int64 else t.float().flatten().tolist()
    return {"dtype": dtype, "shape": list(t.shape), "values": values}


def record(name, state_dict, **extra):
    OUT[name] = {"keys": list(state_dict.keys()),
                 "tensors": {k: describe(v) for k, v in state_dict.items()}, **extra}


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)
        self.bn = nn.BatchNorm2d(3)
        self.fc = nn.Linear(4, 3)


model = Tiny()
with torch.no_grad():
    for i, (name, t) in enumerate(model.state_dict().items()):
        if t.is_floating_point():
            t.copy_(filled(t.shape, t.dtype, i - 2.5, 0.125))
    model.bn.num_batches_tracked.fill_(7)

sd = model.state_dict()  # an OrderedDict with torch's _metadata attribute, as users save it
sd["half.weight"] = torch.tensor([1.5, -0.25, 65504.0, 6e-8, -0.0, 0.1], dtype=torch.float16).reshape(2, 3)
sd["bf16.weight"] = torch.tensor([1.0, -3.5, 3.0e38, 1e-40, 0.1, -7.0], dtype=torch.bfloat16).reshape(3, 2)
sd["f64.weight"] = torch.tensor([1 / 3, -np.pi, 1e-300, 123456789.123], dtype=torch.float64)
base = filled((3, 4), torch.float32, 0, 1)
sd["view.transposed"] = base.t()                         # size (4, 3), stride (1, 4)
sd["view.channels_last"] = filled((3, 2, 2, 2), torch.float32, -4, 0.5).to(memory_format=torch.channels_last)
sd["view.slice"] = base.view(-1)[3:9]                     # storage offset 3, shares base's storage
sd["view.strided"] = base.view(-1)[1::2]                  # stride 2
assert not sd["view.transposed"].is_contiguous() and not sd["view.channels_last"].is_contiguous()
assert sd["view.slice"].storage_offset() == 3 and sd["view.strided"].stride() == (2,)
torch.save(sd, "state_dict.pt")
record("state_dict.pt", sd)

opt_model = copy.deepcopy(model)
opt = torch.optim.SGD(opt_model.parameters(), lr=0.1, momentum=0.9)
opt_model.fc(torch.ones(1, 4)).sum().backward()
opt.step()
torch.save({"epoch": 3, "arch": "tiny", "state_dict": sd, "best_acc1": 71.5, "optimizer": opt.state_dict()},
           "nested.pth")
record("nested.pth", sd, nested_under="state_dict")

ddp = nn.DataParallel(model).state_dict()
assert all(k.startswith("module.") for k in ddp)
torch.save(ddp, "module_prefix.pth")
record("module_prefix.pth", ddp)

# torch.save on a big-endian host (s390x) stores each storage in native byte order and, since
# torch 2.0, a <archive>/byteorder record saying "big". torch 1.13 writes no byteorder record, so
# this file is state_dict.pt with the record added and every storage's elements byte-swapped.
ELEMENT_SIZE = {"FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "DoubleStorage": 8, "LongStorage": 8}
storage_types = {}


class StorageTypes(pickle.Unpickler):
    def persistent_load(self, pid):
        storage_types[pid[2]] = pid[1].__name__
        return torch.zeros(0)  # only the ids are wanted here

    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda *args: None
        return super().find_class(module, name)


with zipfile.ZipFile("state_dict.pt") as src, zipfile.ZipFile("big_endian.pt", "w", zipfile.ZIP_STORED) as dst:
    StorageTypes(io.BytesIO(src.read("state_dict/data.pkl"))).load()
    for info in src.infolist():
        data = src.read(info.filename)
        key = info.filename.split("/data/")[-1] if "/data/" in info.filename else None
        if key is not None:
            data = np.frombuffer(data, dtype=np.dtype(f"u{ELEMENT_SIZE[storage_types[key]]}")).byteswap().tobytes()
        dst.writestr(zipfile.ZipInfo(info.filename), data)  # ZipInfo's fixed 1980 date: reproducible
    dst.writestr(zipfile.ZipInfo("state_dict/byteorder"), "big")
OUT["big_endian.pt"] = {"derived_from": "state_dict.pt", "byteorder": "big"}

# safetensors: no Debian package. Written as the library's serialize() lays it out (safetensors
# src/tensor.rs, prepare()): tensors sorted by dtype, descending in the library's enum order, then
# by name; a compact JSON header with __metadata__ first, padded with spaces to a multiple of 8
# bytes; an 8-byte little-endian header length; the tensors' little-endian bytes back to back.
DTYPE_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32",
               "F64", "I64", "U64"]


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()  # this host is little-endian (asserted below)


def safetensors_bytes(tensors, metadata):
    def dtype_of(item):
        return item[1]["dtype"]
    items = [(k, describe(t) | {"bytes": tensor_bytes(t)}) for k, t in tensors.items()]
    items.sort(key=lambda kv: kv[0])
    items.sort(key=lambda kv: DTYPE_ORDER.index(dtype_of(kv)), reverse=True)  # stable: names stay sorted
    header = {} if metadata is None else {"__metadata__": metadata}
    offset = 0
    for name, info in items:
        n = len(info["bytes"])
        header[name] = {"dtype": info["dtype"], "shape": info["shape"], "data_offsets": [offset, offset + n]}
        offset += n
    buf = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    buf += b" " * ((8 - len(buf) % 8) % 8)
    return struct.pack("<Q", len(buf)) + buf + b"".join(info["bytes"] for _, info in items), [k for k, _ in items]


# The library's own test vectors (test_serialization, test_empty), to show the layout is its layout.
assert safetensors_bytes({"attn.0": torch.arange(6, dtype=torch.float32).reshape(1, 2, 3)}, None)[0] == bytes([
    64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
    116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
    58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
    101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
    0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64])
assert safetensors_bytes({}, {"framework": "pt"})[0] == bytes([
    40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
    95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
    116, 34, 125, 125, 32, 32, 32, 32, 32])

timm = {
    "stem.0.weight": filled((4, 2, 2, 2), torch.float32, -1, 1 / 16),
    "stem.1.num_batches_tracked": torch.tensor(123456789012, dtype=torch.int64),
    "stages.0.gamma": torch.tensor([1e-6, -0.5, 3.0, 0.1], dtype=torch.float16),
    "head.fc.weight": filled((2, 3), torch.bfloat16, -0.3, 0.2),
    "head.fc.bias": torch.tensor([0.1, -2.5e-8], dtype=torch.float64),
}
data, order = safetensors_bytes(timm, {"format": "pt"})
with open("timm.safetensors", "wb") as f:
    f.write(data)
OUT["timm.safetensors"] = {"keys": order, "tensors": {k: describe(v) for k, v in timm.items()},
                           "metadata": {"format": "pt"}}

OUT["_tools"] = {"torch": torch.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}
with open("expected.json", "w") as f:
    json.dump(OUT, f, indent=1)
    f.write("\n")
