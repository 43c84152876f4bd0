#!/usr/bin/python3
"""Golden fixture for the studio's FID Inception network (io.ldmstudio.nn.FidInceptionV3).

Regenerate (from the repository root; needs python3-torch and python3-numpy, not torchvision or pytorch-fid):

    /usr/bin/python3 src/test/python/inception_reference.py           # writes src/test/resources/golden/fid-inception/
    /usr/bin/python3 src/test/python/inception_reference.py --check   # recomputes and compares with the files on disk

The network is pytorch-fid's (mseitzer/pytorch-fid, src/pytorch_fid/inception.py: fid_inception_v3 and
InceptionV3 with resize_input=True, normalize_input=True, output block 3) re-implemented here by hand over
torchvision's layout (torchvision/models/inception.py: Inception3 with num_classes=1008, aux_logits=False;
BasicConv2d = Conv2d without bias, BatchNorm2d(eps=0.001), ReLU; InceptionA..E), with pytorch-fid's patches:
    Mixed_5b..5d  FIDInceptionA    branch_pool: avg_pool2d(3, stride 1, padding 1, count_include_pad=False)
    Mixed_6a      InceptionB       branch_pool: max_pool2d(3, stride 2)
    Mixed_6b..6e  FIDInceptionC    as FIDInceptionA
    Mixed_7a      InceptionD       branch_pool: max_pool2d(3, stride 2)
    Mixed_7b      FIDInceptionE_1  as FIDInceptionA
    Mixed_7c      FIDInceptionE_2  branch_pool: max_pool2d(3, stride 1, padding 1)
pytorch-fid's blocks 0..3 (Conv2d_1a..2b, max pool 3/2, Conv2d_3b, Conv2d_4a, max pool 3/2, Mixed_5b..7c,
adaptive average pool to 1x1) give the 2048-d pool3 features; fc (2048 -> 1008) gives the logits.
Preprocessing: images in [0, 1] (one channel replicated to three), F.interpolate to 299x299 (bilinear,
align_corners=False), then 2x - 1.

The 23.9 million weights are not stored: both sides compute them from their names (weight_values below,
FidInceptionGoldenTest.seededValue in Java: FNV-1a 64 of the name, SplitMix64 of base + index, the top 24
bits, one float64 multiply-add rounded to float32, the same bits in both languages).
Files written:
    keys.json         the state_dict's names and shapes, in order (num_batches_tracked included, as torch has it)
    io.safetensors    x28 (2, 1, 28, 28) and x32 (3, 3, 32, 32) uniform in [0, 1);
                      f28, f32 = pool3 features (B, 2048) in float32; f28_64, f32_64 the same in float64 (as F32);
                      logits28 (2, 1008) in float32;
                      pre28, pre32 = the preprocessed x28, x32 (B, 3, 299, 299) at every third row and column
                      (B, 3, 100, 100) in float32; pre28_64, pre32_64 the same computed in float64 (as F32)
The safetensors file is written by hand (struct + json); no safetensors package is needed.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OUT = os.path.join(ROOT, "src", "test", "resources", "golden", "fid-inception")
sys.path.insert(0, os.path.join(ROOT, "bench"))
from torch_reference import write_safetensors  # noqa: E402  (the benchmark's writer)


# ---- torchvision/models/inception.py with pytorch-fid's patches ---------------------------------------------------

class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, **kw):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kw)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Patches:
    """How the pools differ: pytorch-fid's (the default) or variants for the sensitivity figures."""
    count_include_pad = False
    e2_max_pool = True


def avg_pool_3x3(x):
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=Patches.count_include_pad)


class FIDInceptionA(nn.Module):
    def __init__(self, cin, pool_features):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, kernel_size=1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(avg_pool_3x3(x))
        return torch.cat([b1, b5, b3, bp], 1)


class InceptionB(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([b3, bd, bp], 1)


class FIDInceptionC(nn.Module):
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        bd = self.branch7x7dbl_5(self.branch7x7dbl_4(self.branch7x7dbl_3(self.branch7x7dbl_2(bd))))
        bp = self.branch_pool(avg_pool_3x3(x))
        return torch.cat([b1, b7, bd, bp], 1)


class InceptionD(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        bp = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([b3, b7, bp], 1)


class FIDInceptionE(nn.Module):
    """FIDInceptionE_1 (max_pool False: the count_include_pad=False average) and FIDInceptionE_2 (max pool)."""

    def __init__(self, cin, max_pool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        if self.max_pool and Patches.e2_max_pool:
            bp = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            bp = avg_pool_3x3(x)
        bp = self.branch_pool(bp)
        return torch.cat([b1, b3, bd, bp], 1)


class FIDInceptionV3(nn.Module):
    """fid_inception_v3() (torchvision's Inception3(num_classes=1008, aux_logits=False) patched) and
    pytorch-fid's InceptionV3 forward (resize_input, normalize_input, block 3)."""

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = FIDInceptionA(192, 32)
        self.Mixed_5c = FIDInceptionA(256, 64)
        self.Mixed_5d = FIDInceptionA(288, 64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = FIDInceptionC(768, 128)
        self.Mixed_6c = FIDInceptionC(768, 160)
        self.Mixed_6d = FIDInceptionC(768, 160)
        self.Mixed_6e = FIDInceptionC(768, 192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = FIDInceptionE(1280, max_pool=False)
        self.Mixed_7c = FIDInceptionE(2048, max_pool=True)
        self.fc = nn.Linear(2048, 1008)

    @staticmethod
    def preprocess(images, align_corners=False):
        x = images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=align_corners)
        return 2 * x - 1

    def features(self, x):
        """pool3 of an already preprocessed (B, 3, 299, 299) batch: (B, 2048)."""
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for m in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                  self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = m(x)
        return F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)

    def logits(self, feats):
        return self.fc(feats)


# ---- seeded weights, the same in FidInceptionGoldenTest --------------------------------------------------------------

MASK = (1 << 64) - 1
SEED = 0x5EED_F1D0_1234_ABCD


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def u24(name, n):
    """For i in [0, n): the top 24 bits of SplitMix64's output for the state (FNV-1a 64(name) ^ SEED) + i."""
    z = np.arange(n, dtype=np.uint64) + np.uint64(fnv1a64(name) ^ SEED)
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64)  # integers in [0, 2^24), exact


def weight_values(name, shape):
    """conv / fc weights and fc bias: U(-b, b) with b = sqrt(6 / fan_in) (He, for ReLU) or 1/sqrt(2048) for fc;
    BatchNorm weight in [0.75, 1.25), bias and running_mean in [-0.1, 0.1), running_var in [0.5, 1.5)."""
    n = int(np.prod(shape))
    u = u24(name, n)
    if name.endswith("conv.weight"):
        b = math.sqrt(6.0 / int(np.prod(shape[1:])))
        v = (u - 8388608.0) * (b * 2.0 ** -23)
    elif name.startswith("fc."):
        b = 1.0 / math.sqrt(2048.0)
        v = (u - 8388608.0) * (b * 2.0 ** -23)
    elif name.endswith("bn.weight"):
        v = 0.75 + u * (0.5 * 2.0 ** -24)
    elif name.endswith("bn.bias") or name.endswith("bn.running_mean"):
        v = -0.1 + u * (0.2 * 2.0 ** -24)
    elif name.endswith("bn.running_var"):
        v = 0.5 + u * 2.0 ** -24
    else:
        raise ValueError(name)
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def build():
    net = FIDInceptionV3().eval()
    sd = net.state_dict()
    values = {k: (weight_values(k, tuple(v.shape)) if not k.endswith("num_batches_tracked") else v) for k, v in sd.items()}
    net.load_state_dict(values, strict=True)
    return net


def run(net, x28, x32):
    out = {}
    with torch.no_grad():
        for name, x in (("28", x28), ("32", x32)):
            pre = FIDInceptionV3.preprocess(x)
            out["pre" + name] = pre
            out["f" + name] = net.features(pre)
        out["logits28"] = net.logits(out["f28"])
        net64 = build().double()
        for name, x in (("28", x28), ("32", x32)):
            pre64 = FIDInceptionV3.preprocess(x.double())
            out["pre" + name + "_64"] = pre64.float()
            out["f" + name + "_64"] = net64.features(pre64).float()
    return out


def rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


def sensitivity(net, x28, f28):
    """How far the features move (max abs difference over max |feature|) when one detail is done otherwise."""
    out = {}
    with torch.no_grad():
        pre = FIDInceptionV3.preprocess(x28)
        Patches.count_include_pad = True
        out["count_include_pad=True"] = rel(net.features(pre), f28)
        Patches.count_include_pad = False
        Patches.e2_max_pool = False
        out["Mixed_7c average pool"] = rel(net.features(pre), f28)
        Patches.e2_max_pool = True
        out["align_corners=True"] = rel(net.features(FIDInceptionV3.preprocess(x28, align_corners=True)), f28)
        out["no 2x-1"] = rel(net.features(F.interpolate(x28.expand(-1, 3, -1, -1), size=(299, 299), mode="bilinear",
                                                        align_corners=False)), f28)
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eps = 1e-5
        out["BatchNorm eps 1e-5"] = rel(net.features(pre), f28)
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eps = 1e-3
    return out


def main():
    check = "--check" in sys.argv
    torch.set_num_threads(1)
    net = build()
    g = torch.Generator().manual_seed(314)
    x28 = torch.rand(2, 1, 28, 28, generator=g)
    x32 = torch.rand(3, 3, 32, 32, generator=g)
    out = run(net, x28, x32)
    f28, f32 = out["f28"], out["f32"]
    report = {"params": sum(p.numel() for p in net.parameters()),
              "features": {"min": float(torch.cat([f28, f32]).min()), "max": float(torch.cat([f28, f32]).max()),
                           "mean": float(torch.cat([f28, f32]).mean()),
                           "zero": int((torch.cat([f28, f32]) == 0).sum())},
              "f32_vs_f64_rel": {"28": rel(f28, out["f28_64"]), "32": rel(f32, out["f32_64"])},
              "logits_max_abs": float(out["logits28"].abs().max()),
              "preprocess_f32_vs_f64": {n: float((out["pre" + n].double() - out["pre" + n + "_64"].double()).abs().max())
                                        for n in ("28", "32")},
              "sensitivity": sensitivity(net, x28, f28)}
    if check:
        with open(os.path.join(OUT, "io.safetensors"), "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            buf = f.read()
        stored = {k: torch.from_numpy(np.frombuffer(buf[v["data_offsets"][0]:v["data_offsets"][1]], dtype="<f4")
                                      .reshape(v["shape"]).copy()) for k, v in header.items() if k != "__metadata__"}
        report["recomputed_vs_file_rel"] = {"28": rel(f28, stored["f28"]), "32": rel(f32, stored["f32"])}
    else:
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, "keys.json"), "w") as f:
            f.write("[\n" + ",\n".join(json.dumps([k, list(v.shape)]) for k, v in net.state_dict().items()) + "\n]\n")
        tensors = {"x28": x28, "x32": x32, "f28": f28, "f32": f32, "f28_64": out["f28_64"], "f32_64": out["f32_64"],
                   "logits28": out["logits28"]}
        for name in ("28", "32"):
            for suffix in ("", "_64"):
                tensors["pre" + name + suffix] = out["pre" + name + suffix][:, :, ::3, ::3].contiguous()
        write_safetensors(os.path.join(OUT, "io.safetensors"), tensors, {"format": "pt", "seed": hex(SEED)})
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
