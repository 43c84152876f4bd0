#!/usr/bin/python3
"""Converts pytorch-fid's Inception weights to the safetensors file LDM Studio reads for FID.

    python3 bench/convert_pytorch_fid_inception.py pt_inception-2015-12-05-6726825d.pth \
        workspace/models/pt_inception-2015-12-05.safetensors

The input is the file pytorch-fid downloads (github.com/mseitzer/pytorch-fid, release "fid_weights":
pt_inception-2015-12-05-6726825d.pth, TensorFlow's 2015-12-05 Inception ported to torchvision's layout), a
PyTorch pickle, which the studio never loads. It is read here with torch.load(weights_only=True) where torch has
it (1.13 and later), which unpickles tensors and plain containers only. The output holds the same tensors under
the same names (Conv2d_1a_3x3.conv.weight, Mixed_5b.branch1x1.bn.running_mean, ..., fc.weight, fc.bias) as
float32, without BatchNorm's num_batches_tracked counters, which inference does not use. The second argument
defaults to models/pt_inception-2015-12-05.safetensors (the studio looks there, under its workspace).
Needs torch and numpy only: the safetensors file is written by hand (an 8-byte little-endian header length, a
JSON header, the raw little-endian data), not with the safetensors package.
"""
import hashlib
import json
import os
import struct
import sys

import numpy as np
import torch

DEFAULT_OUT = os.path.join("models", "pt_inception-2015-12-05.safetensors")
# torch.hub's convention: the name ends in the first hex digits of the file's SHA-256
EXPECTED_SHA256_PREFIX = "6726825d"
# fid_inception_v3(): 94 BasicConv2d (conv.weight, bn.weight, bn.bias, bn.running_mean, bn.running_var) and fc
EXPECTED_TENSORS = 94 * 5 + 2


def load_state_dict(path):
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch before 1.13 has no weights_only
        sd = torch.load(path, map_location="cpu")
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    return sd


def write_safetensors(path, tensors, metadata=None):
    """name -> float32 numpy array, written in the given order, the header padded to 8 bytes with spaces."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, a in tensors.items():
        raw = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(2)
    src = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) == 3 else DEFAULT_OUT
    with open(src, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    if EXPECTED_SHA256_PREFIX in os.path.basename(src) and not sha.startswith(EXPECTED_SHA256_PREFIX):
        sys.exit(f"{src}: SHA-256 {sha} does not start with {EXPECTED_SHA256_PREFIX} as the name says: "
                 "an incomplete or different download")
    sd = load_state_dict(src)
    tensors = {}
    for name, t in sd.items():
        if name.endswith(".num_batches_tracked"):
            continue
        if not torch.is_tensor(t) or not t.is_floating_point():
            sys.exit(f"{src}: {name} is not a float tensor ({type(t).__name__}); not pytorch-fid's state dict?")
        tensors[name] = t.detach().to(torch.float32).contiguous().numpy()
    if "fc.weight" not in tensors or tuple(tensors["fc.weight"].shape) != (1008, 2048):
        sys.exit(f"{src}: no fc.weight of shape (1008, 2048); not pytorch-fid's FID Inception weights")
    if len(tensors) != EXPECTED_TENSORS:
        print(f"warning: {len(tensors)} tensors where pytorch-fid's file has {EXPECTED_TENSORS}; "
              "the studio will name what does not fit", file=sys.stderr)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    write_safetensors(out, tensors, {"format": "pt", "source": os.path.basename(src), "source_sha256": sha})
    print(f"{out}: {len(tensors)} tensors, {sum(a.size for a in tensors.values()):,} values (from {src}, "
          f"SHA-256 {sha[:16]}...)")


if __name__ == "__main__":
    main()
