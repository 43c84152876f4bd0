#!/usr/bin/python3
"""Golden fixture for the studio's dynamic thresholding (diffusion.Thresholding): diffusers' schedulers'
_threshold_sample (scheduling_ddpm.py, shared by DDIMScheduler and DPMSolverMultistepScheduler), written out in
plain PyTorch from its semantics:

    s = torch.quantile(|x| flattened per image, dynamic_thresholding_ratio, dim=1)   (linear interpolation)
    s = clamp(s, 1, sample_max_value)
    x = clamp(x, -s, s) / s                                                           (per image)

Regenerate (from the repository root; needs python3-torch, not diffusers):

    /usr/bin/python3 src/test/python/threshold_reference.py          # writes src/test/resources/golden/threshold/
    /usr/bin/python3 src/test/python/threshold_reference.py --check  # recomputes and compares with the file

Tensors in threshold.safetensors, for each case K: x_K (input, F32), y_K (thresholded, F32), and params_K
(F32: ratio, max_value). Cases: images whose quantile lies between two ranks, between 1 and max_value, above
max_value and below 1 (left as they are), and a ratio that lands exactly on a rank.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "bench"))
from torch_reference import read_safetensors, write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden", "threshold",
                   "threshold.safetensors")


def threshold(sample, ratio, max_value):
    b, c, *rest = sample.shape
    flat = sample.reshape(b, -1)
    s = torch.quantile(flat.abs(), ratio, dim=1)
    s = torch.clamp(s, min=1, max=max_value).unsqueeze(1)
    return (torch.clamp(flat, -s, s) / s).reshape(b, c, *rest)


def cases():
    g = torch.Generator().manual_seed(20261204)
    out = {}
    # 4 images of 2x5x7: scales 0.5 (s < 1: unchanged), 1.6, 2.4 and 6 (s clamped to max_value 2.5)
    x = torch.randn(4, 2, 5, 7, generator=g) * torch.tensor([0.3, 1.0, 1.5, 4.0]).view(4, 1, 1, 1)
    out["a"] = (x, 0.995, 2.5)
    # 3 images of 1x28x28 (784 values), diffusers' default ratio, a higher ceiling
    x = torch.randn(3, 1, 28, 28, generator=g) * 2.0
    out["b"] = (x, 0.995, 3.0)
    # 11 values per image: ratio 0.9 puts the rank exactly on 9 (float32 0.9 * 10 = 9.0)
    x = torch.randn(2, 1, 1, 11, generator=g) * 3.0
    out["c"] = (x, 0.9, 10.0)
    # a ratio below one half of a rank step (torch.lerp's other branch)
    x = torch.randn(2, 3, 4, 4, generator=g) * 2.0
    out["d"] = (x, 0.71, 4.0)
    return out


def main():
    tensors = {}
    for k, (x, ratio, mx) in cases().items():
        tensors["x_" + k] = x.float().contiguous()
        tensors["y_" + k] = threshold(x.float(), ratio, mx).contiguous()
        tensors["params_" + k] = torch.tensor([ratio, mx], dtype=torch.float32)
    if "--check" in sys.argv:
        old = read_safetensors(OUT)
        bad = [k for k in tensors if not torch.equal(old[k], tensors[k])]
        print("differ:", bad if bad else "none")
        sys.exit(1 if bad else 0)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    write_safetensors(OUT, tensors, {"source": "src/test/python/threshold_reference.py"})
    print("wrote", OUT)


if __name__ == "__main__":
    main()
