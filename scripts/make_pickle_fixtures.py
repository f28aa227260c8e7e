"""Small network pickles and TorchScript archives for the Rust pickle reader (burn-models/src/pickle).

    pip install torch numpy
    python scripts/make_pickle_fixtures.py      # writes tests/fixtures/pickle/*

Every fixture holds the structures found in the real files, at toy size:

* `persistent_dict_p{2,3,4,5}.pkl`: `pickle.dump({'G_ema': G, 'D': D, 'augment_pipe': None,
  'training_set_kwargs': EasyDict}, protocol=p)` where `G` and `D` are NVIDIA
  `torch_utils.persistence` objects (emulated: classes whose `__reduce__` names a function registered as
  `torch_utils.persistence._reconstruct_persistent_obj`, with a placeholder `module_src`), holding plain
  `torch.nn` children, `dnnlib.util.EasyDict` kwargs, f16/bf16/f64/i64/u8/bool tensors, a transposed
  (non-contiguous) view and a view at a storage offset. Storages are pickled the standard way, i.e. as
  `torch.storage._load_from_bytes(<legacy torch.save blob>)`.
* `module_plain_p2.pkl`: a plain `torch.nn.Module` tree (no persistence), protocol 2 (bytes go through
  `_codecs.encode`).
* `state_dict_zip.pt`, `state_dict_legacy.pt`: `torch.save(state_dict)` in the zip and in the legacy format,
  with two tensors sharing one storage.
* `scripted.pt`: `torch.jit.save(torch.jit.script(module))`; `frozen.pt`: a frozen (`torch.jit.freeze`)
  module, whose weights are TorchScript constants (`constants.pkl`).
* `expected.json`: for each file, every tensor (dotted name → dtype, shape, little-endian contiguous bytes in
  hex), the class name of every module and a few attributes. The Rust tests compare bit-exactly.

Nothing here is executed by the reader: the fake `torch_utils` / `dnnlib` modules exist only while pickling.
"""
import json
import os
import pickle
import sys
import types

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "pickle")
MODULE_SRC = "# placeholder module source: the reader never executes it\n"


# --- Emulation of torch_utils.persistence and dnnlib.util.EasyDict ---------------------------------------

def _install_fake_modules():
    torch_utils = types.ModuleType("torch_utils")
    persistence = types.ModuleType("torch_utils.persistence")
    dnnlib = types.ModuleType("dnnlib")
    util = types.ModuleType("dnnlib.util")

    def _reconstruct_persistent_obj(meta):  # never called by the fixtures; pickle only needs the name
        raise RuntimeError("not used")

    _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
    persistence._reconstruct_persistent_obj = _reconstruct_persistent_obj

    class EasyDict(dict):
        pass

    EasyDict.__module__ = "dnnlib.util"
    EasyDict.__qualname__ = "EasyDict"
    util.EasyDict = EasyDict
    dnnlib.util = util
    dnnlib.EasyDict = EasyDict
    torch_utils.persistence = persistence
    sys.modules.update({"torch_utils": torch_utils, "torch_utils.persistence": persistence,
                        "dnnlib": dnnlib, "dnnlib.util": util})
    return persistence, EasyDict


PERSISTENCE, EasyDict = _install_fake_modules()


class Persistent(torch.nn.Module):
    """Pickles like a `@persistence.persistent_class` instance (torch_utils/persistence.py, version 6)."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self._init_args = list(args)
        self._init_kwargs = dict(kwargs)

    def __reduce__(self):
        meta = dict(type="class", version=6, module_src=MODULE_SRC,
                    class_name=type(self).__name__, state=dict(self.__dict__))
        return (PERSISTENCE._reconstruct_persistent_obj, (meta,))


def val(name, shape, dtype=torch.float32, scale=1.0):
    """Deterministic values (no RNG), distinct per tensor name."""
    n = int(np.prod(shape)) if len(shape) else 1
    h = sum(ord(c) * (i + 1) for i, c in enumerate(name)) % 97
    x = ((np.arange(n, dtype=np.float64) * 0.37 + h * 0.11) % 2.0 - 1.0) * scale
    return torch.tensor(x.reshape(shape)).to(dtype)


class FullyConnectedLayer(Persistent):
    def __init__(self, in_features, out_features, name):
        super().__init__(in_features, out_features, name=name)
        self.weight = torch.nn.Parameter(val(name + ".weight", [out_features, in_features]))
        self.bias = torch.nn.Parameter(val(name + ".bias", [out_features]))
        self.activation = "lrelu"


class MappingNetwork(Persistent):
    def __init__(self, z_dim, w_dim):
        super().__init__(z_dim=z_dim, w_dim=w_dim)
        self.z_dim, self.w_dim = z_dim, w_dim
        self.fc0 = FullyConnectedLayer(z_dim, w_dim, "mapping.fc0")
        self.fc1 = torch.nn.Linear(w_dim, w_dim)  # a plain torch module inside a persistent one
        with torch.no_grad():
            self.fc1.weight.copy_(val("mapping.fc1.weight", [w_dim, w_dim]))
            self.fc1.bias.copy_(val("mapping.fc1.bias", [w_dim]))
        self.register_buffer("w_avg", val("mapping.w_avg", [w_dim]))


class SynthesisBlock(Persistent):
    def __init__(self, res):
        super().__init__(resolution=res)
        self.resolution = res
        self.const = torch.nn.Parameter(val("b4.const", [2, 4, 4]))
        self.weight_f16 = torch.nn.Parameter(val("b4.weight_f16", [3, 2], torch.float16))
        self.register_buffer("noise_const", val("b4.noise_const", [4, 4]))
        self.register_buffer("filter_bf16", val("b4.filter_bf16", [4], torch.bfloat16))
        self.register_buffer("filter_f64", val("b4.filter_f64", [2, 2], torch.float64))
        self.register_buffer("counts_i64", torch.tensor([-3, 0, 2**40 + 7], dtype=torch.int64))
        self.register_buffer("mask_bool", torch.tensor([[True, False, True]]))
        self.register_buffer("pixels_u8", torch.tensor([0, 127, 255], dtype=torch.uint8))
        base = val("b4.base", [3, 5])
        self.register_buffer("transposed", base.t())             # non-contiguous: strides (1, 5)
        self.register_buffer("offset_view", base.view(-1)[4:10])  # storage offset 4
        self.register_buffer("scalar", torch.tensor(2.5))         # 0-d
        self.register_buffer("nonpersistent", torch.arange(3, dtype=torch.int64), persistent=False)
        self.register_buffer("empty", torch.zeros(0, 3))
        self.conv = torch.nn.Conv2d(2, 2, 3, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(val("b4.conv.weight", [2, 2, 3, 3]))
        self.tensor_attribute = val("b4.tensor_attribute", [2])  # plain attribute, not registered


class SynthesisNetwork(Persistent):
    def __init__(self, w_dim, img_resolution, img_channels):
        super().__init__(w_dim=w_dim, img_resolution=img_resolution, img_channels=img_channels)
        self.w_dim, self.img_resolution, self.img_channels = w_dim, img_resolution, img_channels
        self.block_resolutions = [4, 8]
        self.b4 = SynthesisBlock(4)
        self.layers = torch.nn.ModuleList([torch.nn.Identity(), torch.nn.LayerNorm(3)])


class Generator(Persistent):
    def __init__(self, z_dim=4, c_dim=0, w_dim=6, img_resolution=8, img_channels=3):
        super().__init__(z_dim=z_dim, c_dim=c_dim, w_dim=w_dim, img_resolution=img_resolution,
                         img_channels=img_channels,
                         mapping_kwargs=EasyDict(num_layers=2, lr_multiplier=0.01),
                         synthesis_kwargs=EasyDict(channel_base=16384, channel_max=512, num_fp16_res=4,
                                                   conv_clamp=256))
        self.z_dim, self.c_dim, self.w_dim = z_dim, c_dim, w_dim
        self.img_resolution, self.img_channels = img_resolution, img_channels
        self.synthesis = SynthesisNetwork(w_dim, img_resolution, img_channels)
        self.num_ws = 2
        self.mapping = MappingNetwork(z_dim, w_dim)


class Discriminator(Persistent):
    def __init__(self):
        super().__init__(c_dim=0, img_resolution=8)
        self.c_dim, self.img_resolution = 0, 8
        self.out = FullyConnectedLayer(3, 1, "D.out")


class PlainNet(torch.nn.Module):
    """A plain torch module tree, as the paper's feature-network pickles are."""

    def __init__(self):
        super().__init__()
        self.feature_dim, self.logits_dim = 4, 5
        self.layers = torch.nn.Sequential()
        self.layers.add_module("conv", torch.nn.Conv2d(3, 4, 1))
        self.layers.add_module("bn", torch.nn.BatchNorm2d(4))
        self.output = torch.nn.Linear(4, 5)
        for name, t in list(self.named_parameters()) + list(self.named_buffers()):
            if t.dtype.is_floating_point:
                with torch.no_grad():
                    t.copy_(val("plain." + name, list(t.shape)))


class Scripted(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, 1)
        self.head = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
        self.register_buffer("scale", val("scripted.scale", [3], torch.float16))
        self.register_buffer("steps", torch.tensor([5], dtype=torch.int64))
        for name, t in list(self.named_parameters()):
            with torch.no_grad():
                t.copy_(val("scripted." + name, list(t.shape)))

    def forward(self, x):
        y = self.conv(x).mean(dim=(2, 3)) * self.scale.float()
        return self.head(y)


# --- Expected values ---------------------------------------------------------------------------------------

DTYPES = {torch.float16: "f16", torch.bfloat16: "bf16", torch.float32: "f32", torch.float64: "f64",
          torch.int64: "i64", torch.int32: "i32", torch.uint8: "u8", torch.bool: "bool"}


def describe(t):
    t = t.detach().contiguous()
    raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
    return {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "hex": raw.hex()}


def module_tensors(prefix, m, out, classes):
    """Every tensor pickled with `m`: parameters, all buffers, and tensor attributes."""
    classes[prefix.rstrip(".")] = type(m).__name__
    for k, p in m._parameters.items():
        if p is not None:
            out[prefix + k] = describe(p)
    for k, b in m._buffers.items():
        if b is not None:
            out[prefix + k] = describe(b)
    for k, v in m.__dict__.items():
        if isinstance(v, torch.Tensor) and not k.startswith("_"):
            out[prefix + k] = describe(v)
    for k, c in m._modules.items():
        module_tensors(prefix + k + ".", c, out, classes)


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    g, d = Generator(), Discriminator()
    data = {"G_ema": g, "D": d, "augment_pipe": None,
            "training_set_kwargs": EasyDict(path="ffhq.zip", resolution=8, use_labels=False)}
    tensors, classes = {}, {}
    module_tensors("G_ema.", g, tensors, classes)
    module_tensors("D.", d, tensors, classes)
    for proto in (2, 3, 4, 5):
        name = f"persistent_dict_p{proto}.pkl"
        with open(os.path.join(OUT, name), "wb") as f:
            pickle.dump(data, f, protocol=proto)
        expected[name] = {
            "tensors": tensors, "classes": classes,
            "attributes": {"G_ema.z_dim": 4, "G_ema.w_dim": 6, "G_ema.c_dim": 0, "G_ema.img_resolution": 8,
                           "G_ema.init_kwargs": g._init_kwargs, "G_ema.synthesis.block_resolutions": [4, 8],
                           "G_ema.mapping.fc0.activation": "lrelu",
                           "training_set_kwargs": dict(data["training_set_kwargs"])},
        }

    plain = PlainNet()
    tensors, classes = {}, {}
    module_tensors("", plain, tensors, classes)
    with open(os.path.join(OUT, "module_plain_p2.pkl"), "wb") as f:
        pickle.dump(plain, f, protocol=2)
    expected["module_plain_p2.pkl"] = {"tensors": tensors, "classes": classes,
                                       "attributes": {"feature_dim": 4, "logits_dim": 5}}

    base = val("sd.base", [4, 6])
    sd = {"a.weight": base, "a.t": base.t(), "a.row": base[2], "b.half": val("sd.half", [2, 3], torch.float16),
          "b.bf16": val("sd.bf16", [5], torch.bfloat16), "b.long": torch.tensor([1, -2, 3]),
          "b.flags": torch.tensor([False, True]), "b.double": val("sd.double", [2], torch.float64),
          "c.scalar": torch.tensor(-1.25)}
    for fname, zip_format in (("state_dict_zip.pt", True), ("state_dict_legacy.pt", False)):
        torch.save(sd, os.path.join(OUT, fname), _use_new_zipfile_serialization=zip_format)
        expected[fname] = {"tensors": {k: describe(v) for k, v in sd.items()}, "classes": {}, "attributes": {}}

    scripted = torch.jit.script(Scripted().eval())
    torch.jit.save(scripted, os.path.join(OUT, "scripted.pt"))
    tensors = {k: describe(v) for k, v in scripted.state_dict().items()}
    expected["scripted.pt"] = {"tensors": tensors,
                               "classes": {"": "Scripted", "conv": "Conv2d", "head": "Sequential"},
                               "attributes": {}}

    # Frozen TorchScript: the parameters become tensor constants in constants.pkl / constants/<key>.
    lin = torch.nn.Linear(2, 3).eval()
    with torch.no_grad():
        lin.weight.copy_(val("frozen.weight", [3, 2]))
        lin.bias.copy_(val("frozen.bias", [3]))
    frozen = torch.jit.freeze(torch.jit.script(lin))
    torch.jit.save(frozen, os.path.join(OUT, "frozen.pt"))
    consts = frozen.code_with_constants[1].const_mapping  # CONSTANTS.c<i> = entry i of constants.pkl
    expected["frozen.pt"] = {"tensors": {f"constants.{k[1:]}": describe(v) for k, v in consts.items()},
                             "classes": {"constants": "tuple"}, "attributes": {}}

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):8d}  {name}")


if __name__ == "__main__":
    main()
