#!/usr/bin/python3
"""Golden fixtures for the studio's UNet2DModel: diffusers' UNet2DModel re-implemented in plain PyTorch.

Regenerate (from the repository root; needs python3-torch and python3-numpy, not diffusers):

    /usr/bin/python3 src/test/python/unet_reference.py           # writes src/test/resources/golden/unet-*/
    /usr/bin/python3 src/test/python/unet_reference.py --check   # recomputes and compares with the files on disk

Each case folder holds what a diffusers user would have:
    config.json                          diffusers UNet2DModel config (diffusers' keys)
    diffusion_pytorch_model.safetensors  float32 weights under diffusers' state_dict names
(gzipped, diffusion_pytorch_model.safetensors.gz, for the cases in PACKED, whose weights are quantized)
and the test's input/output:
    io.safetensors                       x (2, C, H, W) F32, t (2,) I64 with two different timesteps,
                                         y = forward(x, t) in float32, y64 = the same in float64 (stored as F32);
                                         for a class-conditional case (num_class_embeds set) also labels (2,) I64,
                                         two different labels, and y = forward(x, t, labels)

The classes below follow diffusers (huggingface/diffusers, commit 58eb52c0) line by line, keeping its
module names so state_dict() names are diffusers' own:
    models/unets/unet_2d.py         UNet2DModel (attention_head_dim None -> the block's channels: one head;
                                    class_embed_type None with num_class_embeds: nn.Embedding added to emb)
    models/unets/unet_2d_blocks.py  DownBlock2D, AttnDownBlock2D, UpBlock2D, AttnUpBlock2D, UNetMidBlock2D
    models/embeddings.py            get_timestep_embedding, Timesteps, TimestepEmbedding
    models/resnet.py                ResnetBlock2D (time_embedding_norm "default", output_scale_factor)
    models/downsampling.py          Downsample2D (padding 0: F.pad (0, 1, 0, 1), then a stride-2 conv, padding 0)
    models/upsampling.py            Upsample2D (nearest x2, then a 3x3 conv)
    models/attention_processor.py   Attention + AttnProcessor2_0 (group_norm, heads = C // attention_head_dim,
                                    scale dim_head**-0.5, to_out.0, residual, / rescale_output_factor)
Weights are seeded: PyTorch's default init, then GroupNorm affines and biases perturbed (so a wrong
eps or a missing bias shows) and to_q/to_k scaled up (so attention is peaked and a wrong head count shows).
The safetensors files are written by hand (struct + json); no safetensors package is needed.
"""
import copy
import gzip
import json
import math
import os
import struct
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OUT = os.path.join(ROOT, "src", "test", "resources", "golden")
sys.path.insert(0, os.path.join(ROOT, "bench"))
from torch_reference import read_safetensors, write_safetensors  # noqa: E402  (the benchmark's reader and writer)


# ---- embeddings.py ---------------------------------------------------------------------------------------------

def get_timestep_embedding(timesteps, embedding_dim, flip_sin_to_cos=False, downscale_freq_shift=1, scale=1,
                           max_period=10000):
    half_dim = embedding_dim // 2
    exponent = -math.log(max_period) * torch.arange(start=0, end=half_dim, dtype=torch.float32)
    exponent = exponent / (half_dim - downscale_freq_shift)
    emb = torch.exp(exponent)
    emb = timesteps[:, None].float() * emb[None, :]
    emb = scale * emb
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
    if flip_sin_to_cos:
        emb = torch.cat([emb[:, half_dim:], emb[:, :half_dim]], dim=-1)
    if embedding_dim % 2 == 1:
        emb = F.pad(emb, (0, 1, 0, 0))
    return emb


class Timesteps(nn.Module):
    def __init__(self, num_channels, flip_sin_to_cos, downscale_freq_shift):
        super().__init__()
        self.num_channels, self.flip_sin_to_cos, self.downscale_freq_shift = num_channels, flip_sin_to_cos, downscale_freq_shift

    def forward(self, timesteps):
        return get_timestep_embedding(timesteps, self.num_channels, self.flip_sin_to_cos, self.downscale_freq_shift)


class TimestepEmbedding(nn.Module):
    def __init__(self, in_channels, time_embed_dim):
        super().__init__()
        self.linear_1 = nn.Linear(in_channels, time_embed_dim)
        self.act = nn.SiLU()
        self.linear_2 = nn.Linear(time_embed_dim, time_embed_dim)

    def forward(self, sample):
        return self.linear_2(self.act(self.linear_1(sample)))


# ---- resnet.py, downsampling.py, upsampling.py -----------------------------------------------------------------

class ResnetBlock2D(nn.Module):
    def __init__(self, in_channels, out_channels, temb_channels, eps, groups, dropout=0.0, output_scale_factor=1.0):
        super().__init__()
        self.output_scale_factor = output_scale_factor
        self.norm1 = nn.GroupNorm(num_groups=groups, num_channels=in_channels, eps=eps, affine=True)
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1)
        self.time_emb_proj = nn.Linear(temb_channels, out_channels)
        self.norm2 = nn.GroupNorm(num_groups=groups, num_channels=out_channels, eps=eps, affine=True)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, stride=1, padding=1)
        self.nonlinearity = nn.SiLU()
        self.conv_shortcut = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else None

    def forward(self, input_tensor, temb):
        h = self.nonlinearity(self.norm1(input_tensor))
        h = self.conv1(h)
        h = h + self.time_emb_proj(self.nonlinearity(temb))[:, :, None, None]
        h = self.nonlinearity(self.norm2(h))
        h = self.conv2(self.dropout(h))
        if self.conv_shortcut is not None:
            input_tensor = self.conv_shortcut(input_tensor)
        return (input_tensor + h) / self.output_scale_factor


class Downsample2D(nn.Module):
    def __init__(self, channels, padding):
        super().__init__()
        self.padding = padding
        self.conv = nn.Conv2d(channels, channels, kernel_size=3, stride=2, padding=padding)

    def forward(self, x):
        if self.padding == 0:
            x = F.pad(x, (0, 1, 0, 1), mode="constant", value=0)
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, kernel_size=3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


# ---- attention_processor.py ------------------------------------------------------------------------------------

class Attention(nn.Module):
    def __init__(self, query_dim, heads, dim_head, rescale_output_factor, eps, norm_num_groups):
        super().__init__()
        inner_dim = dim_head * heads
        self.heads, self.scale, self.rescale_output_factor = heads, dim_head ** -0.5, rescale_output_factor
        self.group_norm = nn.GroupNorm(num_channels=query_dim, num_groups=norm_num_groups, eps=eps, affine=True)
        self.to_q = nn.Linear(query_dim, inner_dim, bias=True)
        self.to_k = nn.Linear(query_dim, inner_dim, bias=True)
        self.to_v = nn.Linear(query_dim, inner_dim, bias=True)
        self.to_out = nn.ModuleList([nn.Linear(inner_dim, query_dim, bias=True), nn.Dropout(0.0)])

    def forward(self, hidden_states):  # AttnProcessor2_0, self-attention on a 4-D input
        residual = hidden_states
        b, c, h, w = hidden_states.shape
        hidden_states = hidden_states.view(b, c, h * w).transpose(1, 2)
        hidden_states = self.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        q, k, v = self.to_q(hidden_states), self.to_k(hidden_states), self.to_v(hidden_states)
        head_dim = k.shape[-1] // self.heads
        q, k, v = (a.view(b, -1, self.heads, head_dim).transpose(1, 2) for a in (q, k, v))
        # F.scaled_dot_product_attention written out (its default scale is head_dim ** -0.5; float64 runs too)
        attn = torch.softmax(q @ k.transpose(-1, -2) * self.scale, dim=-1)
        hidden_states = (attn @ v).transpose(1, 2).reshape(b, -1, self.heads * head_dim)
        hidden_states = self.to_out[1](self.to_out[0](hidden_states))
        hidden_states = hidden_states.transpose(-1, -2).reshape(b, c, h, w)
        return (hidden_states + residual) / self.rescale_output_factor


def attention(channels, head_dim, scale, eps, groups):
    if head_dim is None:  # AttnDownBlock2D/AttnUpBlock2D/UNetMidBlock2D: None -> the block's channels
        head_dim = channels
    return Attention(channels, heads=channels // head_dim, dim_head=head_dim, rescale_output_factor=scale, eps=eps,
                     norm_num_groups=groups)


# ---- unet_2d_blocks.py -----------------------------------------------------------------------------------------

class DownBlock2D(nn.Module):
    def __init__(self, num_layers, in_channels, out_channels, temb, eps, groups, add_downsample, padding, head_dim,
                 with_attention):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(in_channels if i == 0 else out_channels, out_channels, temb, eps,
                                                    groups) for i in range(num_layers)])
        if with_attention:  # AttnDownBlock2D
            self.attentions = nn.ModuleList([attention(out_channels, head_dim, 1.0, eps, groups)
                                             for _ in range(num_layers)])
        self.downsamplers = nn.ModuleList([Downsample2D(out_channels, padding)]) if add_downsample else None

    def forward(self, h, temb):
        states = ()
        for i, resnet in enumerate(self.resnets):
            h = resnet(h, temb)
            if hasattr(self, "attentions"):
                h = self.attentions[i](h)
            states += (h,)
        if self.downsamplers is not None:
            h = self.downsamplers[0](h)
            states += (h,)
        return h, states


class UpBlock2D(nn.Module):
    def __init__(self, num_layers, in_channels, prev_output_channel, out_channels, temb, eps, groups, add_upsample,
                 head_dim, with_attention):
        super().__init__()
        resnets = []
        for i in range(num_layers):
            res_skip_channels = in_channels if i == num_layers - 1 else out_channels
            resnet_in_channels = prev_output_channel if i == 0 else out_channels
            resnets.append(ResnetBlock2D(resnet_in_channels + res_skip_channels, out_channels, temb, eps, groups))
        self.resnets = nn.ModuleList(resnets)
        if with_attention:  # AttnUpBlock2D
            self.attentions = nn.ModuleList([attention(out_channels, head_dim, 1.0, eps, groups)
                                             for _ in range(num_layers)])
        self.upsamplers = nn.ModuleList([Upsample2D(out_channels)]) if add_upsample else None

    def forward(self, h, res, temb):
        for i, resnet in enumerate(self.resnets):
            h = torch.cat([h, res[-1]], dim=1)
            res = res[:-1]
            h = resnet(h, temb)
            if hasattr(self, "attentions"):
                h = self.attentions[i](h)
        if self.upsamplers is not None:
            h = self.upsamplers[0](h)
        return h


class UNetMidBlock2D(nn.Module):
    def __init__(self, channels, temb, eps, groups, attn_groups, scale, head_dim, add_attention):
        super().__init__()
        if attn_groups is None:  # resnet_time_scale_shift "default"
            attn_groups = groups
        self.attentions = nn.ModuleList([attention(channels, head_dim, scale, eps, attn_groups) if add_attention
                                         else None])
        self.resnets = nn.ModuleList([ResnetBlock2D(channels, channels, temb, eps, groups, output_scale_factor=scale)
                                      for _ in range(2)])

    def forward(self, h, temb):
        h = self.resnets[0](h, temb)
        if self.attentions[0] is not None:
            h = self.attentions[0](h)
        return self.resnets[1](h, temb)


# ---- unet_2d.py ------------------------------------------------------------------------------------------------

DEFAULTS = dict(sample_size=None, in_channels=3, out_channels=3, center_input_sample=False,
                time_embedding_type="positional", time_embedding_dim=None, freq_shift=0, flip_sin_to_cos=True,
                down_block_types=["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"],
                mid_block_type="UNetMidBlock2D",
                up_block_types=["AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"],
                block_out_channels=[224, 448, 672, 896], layers_per_block=2, mid_block_scale_factor=1,
                downsample_padding=1, downsample_type="conv", upsample_type="conv", dropout=0.0, act_fn="silu",
                attention_head_dim=8, norm_num_groups=32, attn_norm_num_groups=None, norm_eps=1e-5,
                resnet_time_scale_shift="default", add_attention=True, class_embed_type=None, num_class_embeds=None,
                num_train_timesteps=None)


class UNet2DModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        c = dict(DEFAULTS, **{k: v for k, v in config.items() if not k.startswith("_")})
        assert c["time_embedding_type"] == "positional" and c["resnet_time_scale_shift"] == "default"
        assert c["act_fn"] == "silu" and c["class_embed_type"] is None
        assert c["downsample_type"] == "conv" and c["upsample_type"] == "conv" and c["mid_block_type"] == "UNetMidBlock2D"
        self.config = c
        outs, L, eps, g, hd = (c["block_out_channels"], c["layers_per_block"], c["norm_eps"], c["norm_num_groups"],
                               c["attention_head_dim"])
        temb = c["time_embedding_dim"] or outs[0] * 4
        self.conv_in = nn.Conv2d(c["in_channels"], outs[0], kernel_size=3, padding=(1, 1))
        self.time_proj = Timesteps(outs[0], c["flip_sin_to_cos"], c["freq_shift"])
        self.time_embedding = TimestepEmbedding(outs[0], temb)
        # class embedding (class_embed_type None): a lookup table of num_class_embeds rows, else none
        self.class_embedding = nn.Embedding(c["num_class_embeds"], temb) if c["num_class_embeds"] is not None else None
        self.down_blocks = nn.ModuleList()
        out = outs[0]
        for i, kind in enumerate(c["down_block_types"]):
            inp, out = out, outs[i]
            self.down_blocks.append(DownBlock2D(L, inp, out, temb, eps, g, i < len(outs) - 1, c["downsample_padding"],
                                                hd if hd is not None else out, kind == "AttnDownBlock2D"))
        self.mid_block = UNetMidBlock2D(outs[-1], temb, eps, g, c["attn_norm_num_groups"], c["mid_block_scale_factor"],
                                        hd if hd is not None else outs[-1], c["add_attention"])
        rev = list(reversed(outs))
        self.up_blocks = nn.ModuleList()
        out = rev[0]
        for i, kind in enumerate(c["up_block_types"]):
            prev, out = out, rev[i]
            inp = rev[min(i + 1, len(outs) - 1)]
            self.up_blocks.append(UpBlock2D(L + 1, inp, prev, out, temb, eps, g, i < len(outs) - 1,
                                            hd if hd is not None else out, kind == "AttnUpBlock2D"))
        self.conv_norm_out = nn.GroupNorm(num_channels=outs[0], num_groups=g, eps=eps)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(outs[0], c["out_channels"], kernel_size=3, padding=1)

    def forward(self, sample, timesteps, class_labels=None):
        if self.config["center_input_sample"]:
            sample = 2 * sample - 1.0
        timesteps = timesteps * torch.ones(sample.shape[0], dtype=timesteps.dtype)
        t_emb = self.time_proj(timesteps).to(dtype=sample.dtype)
        emb = self.time_embedding(t_emb)
        if self.class_embedding is not None:
            if class_labels is None:
                raise ValueError("class_labels should be provided when doing class conditioning")
            class_emb = self.class_embedding(class_labels).to(dtype=sample.dtype)
            emb = emb + class_emb
        elif self.class_embedding is None and class_labels is not None:
            raise ValueError("class_embedding needs to be initialized in order to use class conditioning")
        sample = self.conv_in(sample)
        res = (sample,)
        for block in self.down_blocks:
            sample, states = block(sample, emb)
            res += states
        sample = self.mid_block(sample, emb)
        for block in self.up_blocks:
            n = len(block.resnets)
            sample, res = block(sample, res[-n:], emb), res[:-n]
        return self.conv_out(self.conv_act(self.conv_norm_out(sample)))


# ---- fixtures --------------------------------------------------------------------------------------------------

BASE = dict(_class_name="UNet2DModel", _diffusers_version="0.27.0", sample_size=8, in_channels=3, out_channels=3,
            center_input_sample=False, time_embedding_type="positional", act_fn="silu", layers_per_block=1,
            mid_block_scale_factor=1, downsample_type="conv", upsample_type="conv", dropout=0.0,
            attn_norm_num_groups=None, resnet_time_scale_shift="default", add_attention=True,
            class_embed_type=None, num_class_embeds=None)

CASES = {
    # diffusers' defaults for the time embedding and the down-sampler, one head per attention (attention_head_dim null)
    "defaults": dict(BASE, block_out_channels=[8, 16], down_block_types=["DownBlock2D", "AttnDownBlock2D"],
                     up_block_types=["AttnUpBlock2D", "UpBlock2D"], flip_sin_to_cos=True, freq_shift=0,
                     downsample_padding=1, attention_head_dim=None, norm_num_groups=4, norm_eps=1e-5),
    # google/ddpm-cifar10-32's settings at a tiny size: attention only in the middle level, as there
    "ddpm-cifar10": dict(BASE, block_out_channels=[8, 16, 16],
                         down_block_types=["DownBlock2D", "AttnDownBlock2D", "DownBlock2D"],
                         up_block_types=["UpBlock2D", "AttnUpBlock2D", "UpBlock2D"], flip_sin_to_cos=False,
                         freq_shift=1, downsample_padding=0, attention_head_dim=None, norm_num_groups=4,
                         norm_eps=1e-6),
    # a head dimension: heads = channels // attention_head_dim per block (2 at 8 channels, 4 at 16), as
    # CompVis/ldm-celebahq-256 (attention_head_dim 32 over 448/672/896 channels: 14, 21, 28 heads); a
    # head dimension of 32 would need >= 64 channels, a fixture of ~2.8 MB, for the same code path
    "head-dim": dict(BASE, block_out_channels=[8, 16], down_block_types=["AttnDownBlock2D", "AttnDownBlock2D"],
                     up_block_types=["AttnUpBlock2D", "AttnUpBlock2D"], flip_sin_to_cos=True, freq_shift=0,
                     downsample_padding=1, attention_head_dim=4, norm_num_groups=4, norm_eps=1e-5),
    # attention_head_dim 32, the studio's model.head_dim, over attention levels of different widths: 1 head at
    # 32 channels, 2 at 64 and in the 64-channel middle block. Its 715k weights lie on a coarse grid (see
    # quantize) and the file is stored gzipped, 2.9 MB as float32 but ~0.2 MB packed
    "head-dim-32": dict(BASE, block_out_channels=[32, 64], down_block_types=["AttnDownBlock2D", "AttnDownBlock2D"],
                        up_block_types=["AttnUpBlock2D", "AttnUpBlock2D"], flip_sin_to_cos=True, freq_shift=0,
                        downsample_padding=1, attention_head_dim=32, norm_num_groups=8, norm_eps=1e-5),
    # class conditioning as diffusers does it (class_embed_type null): 4 rows (3 classes and the studio's null
    # class, the last row) added to the time embedding
    "class-embed": dict(BASE, block_out_channels=[8, 16], down_block_types=["DownBlock2D", "AttnDownBlock2D"],
                        up_block_types=["AttnUpBlock2D", "UpBlock2D"], flip_sin_to_cos=True, freq_shift=0,
                        downsample_padding=1, attention_head_dim=None, norm_num_groups=4, norm_eps=1e-5,
                        num_class_embeds=4),
}
TIMESTEPS = {"defaults": [3, 917], "ddpm-cifar10": [0, 999], "head-dim": [41, 512], "head-dim-32": [77, 650],
             "class-embed": [250, 640]}
# the class-conditional cases' labels, one per sample (the second is the null class)
LABELS = {"class-embed": [1, 3]}
# cases whose weights are quantized and whose weights file is written as diffusion_pytorch_model.safetensors.gz
PACKED = {"head-dim-32"}
WEIGHTS = "diffusion_pytorch_model.safetensors"


def quantize(net):
    """Each tensor onto the grid k * 2^e, e = round(log2(its std)), k an integer: a weight keeps its size and sign
    to about one part in two or three (so the network computes like a randomly initialised one) while a float32
    has at most a few significant bits and the file compresses ~15x. The test loads the exact values stored."""
    with torch.no_grad():
        for p in net.parameters():
            step = 2.0 ** round(math.log2(float(p.std()))) if p.numel() > 1 and float(p.std()) > 0 else 2.0 ** -4
            p.copy_(torch.round(p / step) * step)


def build(name, seed):
    torch.manual_seed(seed)
    net = UNet2DModel(CASES[name]).eval()
    with torch.no_grad():
        for pname, p in net.named_parameters():
            if ".group_norm." in pname or ".norm" in pname or "conv_norm_out" in pname:
                p.add_(0.2 * torch.randn_like(p))   # affine away from (1, 0)
            elif pname.endswith(".bias"):
                p.add_(0.05 * torch.randn_like(p))
            if ".to_q." in pname or ".to_k." in pname:
                p.mul_(4.0)                         # peaked attention: heads matter
    if name in PACKED:
        quantize(net)
    return net


def read_weights(d, name):
    """A case's weights as written: the safetensors file, gunzipped first for a packed case."""
    if name not in PACKED:
        return read_safetensors(os.path.join(d, WEIGHTS))
    with gzip.open(os.path.join(d, WEIGHTS + ".gz"), "rb") as z:
        raw = z.read()
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, WEIGHTS), "wb") as f:
            f.write(raw)
        return read_safetensors(os.path.join(tmp, WEIGHTS))


def read_io(path):
    """io.safetensors holds an I64 tensor, which the benchmark's reader does not take."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        buf = f.read()
    dtypes = {"F32": "<f4", "I64": "<i8"}
    return {k: torch.from_numpy(np.frombuffer(buf[v["data_offsets"][0]:v["data_offsets"][1]], dtype=dtypes[v["dtype"]])
                                .reshape(v["shape"]).copy()) for k, v in header.items() if k != "__metadata__"}


def run(net, x, t, labels=None):
    with torch.no_grad():
        y = net(x, t, labels)
        y64 = copy.deepcopy(net).double()(x.double(), t, labels)
    return y, y64


def sensitivity(name, net, x, t, y, labels=None):
    """How far the output moves when one setting is read wrongly: the tolerance must be far below these."""
    out = {}
    c = CASES[name]
    variants = {"flip_sin_to_cos": dict(flip_sin_to_cos=not c["flip_sin_to_cos"]),
                "freq_shift": dict(freq_shift=1 - c["freq_shift"]),
                "downsample_padding": dict(downsample_padding=1 - c["downsample_padding"]),
                "one head" if c["attention_head_dim"] else "attention_head_dim 4":
                    dict(attention_head_dim=None if c["attention_head_dim"] else 4)}
    if c["attention_head_dim"] == 32:  # the studio's num_heads 2 would give the 32-channel layer 2 heads too
        variants["attention_head_dim 16"] = dict(attention_head_dim=16)
    for label, change in variants.items():
        other = UNet2DModel(dict(c, **change)).eval()
        other.load_state_dict(net.state_dict())
        with torch.no_grad():
            out[label] = float((other(x, t, labels) - y).abs().max())
    if labels is not None:  # each sample with another label
        with torch.no_grad():
            out["other labels"] = float((net(x, t, (labels + 1) % c["num_class_embeds"]) - y).abs().max())
    return out


def main():
    check = "--check" in sys.argv
    torch.set_num_threads(1)
    for i, name in enumerate(CASES):
        d = os.path.join(OUT, "unet-" + name)
        net = build(name, 1000 + i)
        g = torch.Generator().manual_seed(2000 + i)
        c = CASES[name]
        x = torch.randn(2, c["in_channels"], c["sample_size"], c["sample_size"], generator=g)
        t = torch.tensor(TIMESTEPS[name], dtype=torch.int64)
        labels = torch.tensor(LABELS[name], dtype=torch.int64) if name in LABELS else None
        y, y64 = run(net, x, t, labels)
        report = {"case": name, "params": sum(p.numel() for p in net.parameters()),
                  "max_abs_y": float(y.abs().max()), "f32_vs_f64": float((y.double() - y64).abs().max())}
        if check:
            w = read_weights(d, name)
            net.load_state_dict(w, strict=True)
            io = read_io(os.path.join(d, "io.safetensors"))
            y2, _ = run(net, io["x"], io["t"], io.get("labels"))
            report["recomputed_vs_file"] = float((y2 - io["y"]).abs().max())
        else:
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(c, f, indent=2)
                f.write("\n")
            write_safetensors(os.path.join(d, WEIGHTS), net.state_dict(), {"format": "pt"})
            if name in PACKED:
                with open(os.path.join(d, WEIGHTS), "rb") as f:
                    raw = f.read()
                with open(os.path.join(d, WEIGHTS + ".gz"), "wb") as f:
                    # no file name and mtime 0: the same weights give the same bytes
                    with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as z:
                        z.write(raw)
                os.remove(os.path.join(d, WEIGHTS))
                report["weights_bytes"] = {"raw": len(raw), "gz": os.path.getsize(os.path.join(d, WEIGHTS + ".gz"))}
            tensors = {"x": x, "t": t, "y": y, "y64": y64.float()}
            if labels is not None:
                tensors["labels"] = labels
            write_safetensors(os.path.join(d, "io.safetensors"), tensors,
                              {"generator": "src/test/python/unet_reference.py", "torch": torch.__version__})
            back = read_weights(d, name)
            assert set(back) == set(net.state_dict()) and all(torch.equal(back[k], v) for k, v in net.state_dict().items())
        report["sensitivity"] = sensitivity(name, net, x, t, y, labels)
        print(json.dumps(report))


if __name__ == "__main__":
    main()
