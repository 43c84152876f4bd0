#!/usr/bin/python3
"""Reads a studio cross-attention export (conditioning.type cross_attention) as PyTorch users would, without
diffusers: the U-Net through unet_condition_reference.py's line-by-line copy of diffusers' UNet2DConditionModel
(diffusers' module names, so its state_dict names are diffusers' own), the class-token table as LDM's
ClassEmbedder (ldm/modules/encoders/modules.py: `self.embedding = nn.Embedding(n_classes, embed_dim)`, the null
class the last row, n_classes - 1).

    /usr/bin/python3 src/test/python/crossattn_export_check.py EXPORT_DIR [--io io.safetensors]

Checks model_index.json's components, that unet/config.json holds only UNet2DConditionModel config keys, that both
weight files load with strict=True (every name and shape as the modules expect), that embed_dim is the U-Net's
cross_attention_dim and id2label names every real class. With --io FILE (tensors x, t, labels and y, all F32, as
the studio computed y = forward(x, t, labels)) it also runs unet(x, t, encoder_hidden_states =
ClassEmbedder(labels)) and reports the largest difference from y. Prints one JSON line; exits 1 on any failure.
"""
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_condition_reference import BASE, UNet2DConditionModel  # noqa: E402
from torch_reference import read_safetensors  # noqa: E402  (bench/, put on the path by unet_reference)

WEIGHTS = "diffusion_pytorch_model.safetensors"
TOLERANCE = 1e-4


class ClassEmbedder(nn.Module):
    """LDM's class embedder (key 'class_label'): a label's token, embedding(label)[:, None], is the context."""

    def __init__(self, embed_dim, n_classes=1000, key="class_label"):
        super().__init__()
        self.key = key
        self.n_classes = n_classes
        self.embedding = nn.Embedding(n_classes, embed_dim)

    def forward(self, labels):
        return self.embedding(labels)[:, None]


def load_json(path):
    with open(path) as f:
        return json.load(f)


def main():
    args = sys.argv[1:]
    io_file = None
    if "--io" in args:
        i = args.index("--io")
        io_file = args[i + 1]
        del args[i:i + 2]
    d = args[0]
    report = {}
    index = load_json(os.path.join(d, "model_index.json"))
    assert index["unet"] == ["diffusers", "UNet2DConditionModel"], index
    assert index["class_embedder"][1] == "ClassEmbedder", index

    cfg = load_json(os.path.join(d, "unet", "config.json"))
    unknown = sorted(set(cfg) - set(BASE) - {"_class_name", "_diffusers_version"})
    assert not unknown, "not UNet2DConditionModel config keys: %s" % unknown
    unet = UNet2DConditionModel(cfg).eval()
    unet.load_state_dict(read_safetensors(os.path.join(d, "unet", WEIGHTS)), strict=True)
    report["unet_tensors"] = len(unet.state_dict())

    ecfg = load_json(os.path.join(d, "class_embedder", "config.json"))
    assert ecfg["_class_name"] == "ClassEmbedder", ecfg
    assert ecfg["embed_dim"] == cfg["cross_attention_dim"], (ecfg["embed_dim"], cfg["cross_attention_dim"])
    classes = ecfg["n_classes"] - 1  # the last row is the null class
    assert sorted(ecfg.get("id2label", {}), key=int) == [str(k) for k in range(classes)], ecfg.get("id2label")
    embedder = ClassEmbedder(ecfg["embed_dim"], ecfg["n_classes"], ecfg["key"]).eval()
    embedder.load_state_dict(read_safetensors(os.path.join(d, "class_embedder", WEIGHTS)), strict=True)
    report["n_classes"] = ecfg["n_classes"]

    if io_file:
        io = read_safetensors(io_file)
        labels = io["labels"].round().long()
        with torch.no_grad():
            y = unet(io["x"], io["t"].round().long(), embedder(labels))
        report["max_abs_y"] = float(io["y"].abs().max())
        report["max_abs_diff"] = float((y - io["y"]).abs().max())
        assert report["max_abs_diff"] < TOLERANCE, report
    print(json.dumps(report))


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, KeyError, RuntimeError) as e:
        print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
        sys.exit(1)
