#!/usr/bin/python3
"""Golden fixtures for the studio's UNet2DConditionModel: diffusers' UNet2DConditionModel (cross-attention U-Net)
re-implemented in plain PyTorch.

Regenerate (from the repository root; needs python3-torch and python3-numpy, not diffusers):

    /usr/bin/python3 src/test/python/unet_condition_reference.py           # writes src/test/resources/golden/unet-cond*/
    /usr/bin/python3 src/test/python/unet_condition_reference.py --check   # recomputes and compares with the files

Cases (CASES below): unet-cond (1x1-conv projections, as LDM and SD 1.x) and unet-cond-linear (SD 2.x's Linear
projections, two transformer blocks per Transformer2DModel). Each folder holds what a diffusers user would have:
    config.json                             diffusers UNet2DConditionModel config (diffusers' keys)
    diffusion_pytorch_model.safetensors.gz  float32 weights under diffusers' state_dict names, on a coarse grid
                                            (see unet_reference.quantize), gzipped
and the test's input/output:
    io.safetensors   x (2, C, H, W) F32, t (2,) I64, encoder_hidden_states (2, L, cross_attention_dim) F32,
                     y = forward(x, t, encoder_hidden_states) in float32, y64 = the same in float64 (stored as F32),
                     encoder_hidden_states_2 (other tokens) and y_2 = forward(x, t, encoder_hidden_states_2)

The classes below follow diffusers (huggingface/diffusers, commit 58eb52c0) line by line, keeping its module
names so state_dict() names are diffusers' own:
    models/unets/unet_2d_condition.py      UNet2DConditionModel (num_attention_heads = num_attention_heads or
                                           attention_head_dim; reversed for the up blocks, the last for the mid block)
    models/unets/unet_2d_blocks.py         CrossAttnDownBlock2D, DownBlock2D, UNetMidBlock2DCrossAttn,
                                           CrossAttnUpBlock2D, UpBlock2D
    models/transformers/transformer_2d.py  Transformer2DModel, continuous input, use_linear_projection either way
                                           (GroupNorm eps 1e-6, 1x1-conv proj_in/proj_out, residual)
    models/attention.py                    BasicTransformerBlock (norm_type "layer_norm", eps 1e-5), FeedForward
    models/activations.py                  GEGLU (exact gelu)
    models/attention_processor.py          Attention + AttnProcessor2_0 (to_q/to_k/to_v without bias, to_out.0 with)
The time embedding, ResnetBlock2D, Downsample2D and Upsample2D are unet_reference.py's (the same diffusers code).
"""
import copy
import gzip
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_reference import (OUT, ResnetBlock2D, Downsample2D, Upsample2D, Timesteps, TimestepEmbedding,  # noqa: E402
                            quantize, read_io, write_safetensors)
from torch_reference import read_safetensors  # noqa: E402


# ---- attention_processor.py, activations.py, attention.py --------------------------------------------------------

class Attention(nn.Module):
    def __init__(self, query_dim, cross_attention_dim=None, heads=8, dim_head=64, bias=False, out_bias=True):
        super().__init__()
        inner_dim = dim_head * heads
        cross_attention_dim = cross_attention_dim if cross_attention_dim is not None else query_dim
        self.heads, self.scale = heads, dim_head ** -0.5
        self.to_q = nn.Linear(query_dim, inner_dim, bias=bias)
        self.to_k = nn.Linear(cross_attention_dim, inner_dim, bias=bias)
        self.to_v = nn.Linear(cross_attention_dim, inner_dim, bias=bias)
        self.to_out = nn.ModuleList([nn.Linear(inner_dim, query_dim, bias=out_bias), nn.Dropout(0.0)])

    def forward(self, hidden_states, encoder_hidden_states=None):  # AttnProcessor2_0 on a 3-D input
        batch_size = hidden_states.shape[0]
        query = self.to_q(hidden_states)
        if encoder_hidden_states is None:
            encoder_hidden_states = hidden_states
        key = self.to_k(encoder_hidden_states)
        value = self.to_v(encoder_hidden_states)
        inner_dim = key.shape[-1]
        head_dim = inner_dim // self.heads
        query, key, value = (a.view(batch_size, -1, self.heads, head_dim).transpose(1, 2) for a in (query, key, value))
        # F.scaled_dot_product_attention written out (default scale head_dim ** -0.5; runs in float64 too)
        attn = torch.softmax(query @ key.transpose(-1, -2) * self.scale, dim=-1)
        hidden_states = (attn @ value).transpose(1, 2).reshape(batch_size, -1, self.heads * head_dim)
        hidden_states = self.to_out[0](hidden_states)
        return self.to_out[1](hidden_states)  # residual_connection False, rescale_output_factor 1


class GEGLU(nn.Module):
    def __init__(self, dim_in, dim_out, bias=True):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2, bias=bias)

    def forward(self, hidden_states):
        hidden_states, gate = self.proj(hidden_states).chunk(2, dim=-1)
        return hidden_states * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim, dim_out=None, mult=4, dropout=0.0):  # activation_fn "geglu", final_dropout False
        super().__init__()
        inner_dim = int(dim * mult)
        dim_out = dim_out if dim_out is not None else dim
        self.net = nn.ModuleList([GEGLU(dim, inner_dim), nn.Dropout(dropout), nn.Linear(inner_dim, dim_out)])

    def forward(self, hidden_states):
        for module in self.net:
            hidden_states = module(hidden_states)
        return hidden_states


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, num_attention_heads, attention_head_dim, cross_attention_dim, norm_eps=1e-5):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=True, eps=norm_eps)
        self.attn1 = Attention(dim, heads=num_attention_heads, dim_head=attention_head_dim, bias=False)
        self.norm2 = nn.LayerNorm(dim, norm_eps, True)
        self.attn2 = Attention(dim, cross_attention_dim=cross_attention_dim, heads=num_attention_heads,
                               dim_head=attention_head_dim, bias=False)
        self.norm3 = nn.LayerNorm(dim, norm_eps, True)
        self.ff = FeedForward(dim)

    def forward(self, hidden_states, encoder_hidden_states):
        norm_hidden_states = self.norm1(hidden_states)
        attn_output = self.attn1(norm_hidden_states, encoder_hidden_states=None)  # only_cross_attention False
        hidden_states = attn_output + hidden_states
        norm_hidden_states = self.norm2(hidden_states)
        attn_output = self.attn2(norm_hidden_states, encoder_hidden_states=encoder_hidden_states)
        hidden_states = attn_output + hidden_states
        norm_hidden_states = self.norm3(hidden_states)
        ff_output = self.ff(norm_hidden_states)
        return ff_output + hidden_states


class Transformer2DModel(nn.Module):
    def __init__(self, num_attention_heads, attention_head_dim, in_channels, num_layers, cross_attention_dim,
                 norm_num_groups, use_linear_projection):
        super().__init__()
        inner_dim = num_attention_heads * attention_head_dim
        self.use_linear_projection = use_linear_projection
        self.norm = nn.GroupNorm(num_groups=norm_num_groups, num_channels=in_channels, eps=1e-6, affine=True)
        if use_linear_projection:
            self.proj_in = nn.Linear(in_channels, inner_dim)
        else:
            self.proj_in = nn.Conv2d(in_channels, inner_dim, kernel_size=1, stride=1, padding=0)
        self.transformer_blocks = nn.ModuleList([
            BasicTransformerBlock(inner_dim, num_attention_heads, attention_head_dim, cross_attention_dim)
            for _ in range(num_layers)])
        if use_linear_projection:
            self.proj_out = nn.Linear(inner_dim, in_channels)
        else:
            self.proj_out = nn.Conv2d(inner_dim, in_channels, kernel_size=1, stride=1, padding=0)

    def forward(self, hidden_states, encoder_hidden_states):
        batch, _, height, width = hidden_states.shape
        residual = hidden_states
        hidden_states = self.norm(hidden_states)
        if not self.use_linear_projection:
            hidden_states = self.proj_in(hidden_states)
            inner_dim = hidden_states.shape[1]
            hidden_states = hidden_states.permute(0, 2, 3, 1).reshape(batch, height * width, inner_dim)
        else:
            inner_dim = hidden_states.shape[1]
            hidden_states = hidden_states.permute(0, 2, 3, 1).reshape(batch, height * width, inner_dim)
            hidden_states = self.proj_in(hidden_states)
        for block in self.transformer_blocks:
            hidden_states = block(hidden_states, encoder_hidden_states)
        if not self.use_linear_projection:
            hidden_states = hidden_states.reshape(batch, height, width, inner_dim).permute(0, 3, 1, 2).contiguous()
            hidden_states = self.proj_out(hidden_states)
        else:
            hidden_states = self.proj_out(hidden_states)
            hidden_states = hidden_states.reshape(batch, height, width, inner_dim).permute(0, 3, 1, 2).contiguous()
        return hidden_states + residual


# ---- unet_2d_blocks.py ---------------------------------------------------------------------------------------------

class DownBlock(nn.Module):
    """CrossAttnDownBlock2D (cross=True) or DownBlock2D."""

    def __init__(self, num_layers, transformer_layers, in_channels, out_channels, temb, eps, groups, add_downsample,
                 padding, heads, cross_attention_dim, cross, linear):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(in_channels if i == 0 else out_channels, out_channels, temb, eps,
                                                    groups) for i in range(num_layers)])
        if cross:
            self.attentions = nn.ModuleList([
                Transformer2DModel(heads, out_channels // heads, out_channels, transformer_layers,
                                   cross_attention_dim, groups, linear) for _ in range(num_layers)])
        self.downsamplers = nn.ModuleList([Downsample2D(out_channels, padding)]) if add_downsample else None

    def forward(self, h, temb, encoder_hidden_states):
        states = ()
        for i, resnet in enumerate(self.resnets):
            h = resnet(h, temb)
            if hasattr(self, "attentions"):
                h = self.attentions[i](h, encoder_hidden_states)
            states += (h,)
        if self.downsamplers is not None:
            h = self.downsamplers[0](h)
            states += (h,)
        return h, states


class UpBlock(nn.Module):
    """CrossAttnUpBlock2D (cross=True) or UpBlock2D."""

    def __init__(self, num_layers, transformer_layers, in_channels, prev_output_channel, out_channels, temb, eps,
                 groups, add_upsample, heads, cross_attention_dim, cross, linear):
        super().__init__()
        resnets = []
        for i in range(num_layers):
            res_skip_channels = in_channels if i == num_layers - 1 else out_channels
            resnet_in_channels = prev_output_channel if i == 0 else out_channels
            resnets.append(ResnetBlock2D(resnet_in_channels + res_skip_channels, out_channels, temb, eps, groups))
        self.resnets = nn.ModuleList(resnets)
        if cross:
            self.attentions = nn.ModuleList([
                Transformer2DModel(heads, out_channels // heads, out_channels, transformer_layers,
                                   cross_attention_dim, groups, linear) for _ in range(num_layers)])
        self.upsamplers = nn.ModuleList([Upsample2D(out_channels)]) if add_upsample else None

    def forward(self, h, res, temb, encoder_hidden_states):
        for i, resnet in enumerate(self.resnets):
            h = torch.cat([h, res[-1]], dim=1)
            res = res[:-1]
            h = resnet(h, temb)
            if hasattr(self, "attentions"):
                h = self.attentions[i](h, encoder_hidden_states)
        if self.upsamplers is not None:
            h = self.upsamplers[0](h)
        return h


class UNetMidBlock2DCrossAttn(nn.Module):
    def __init__(self, channels, temb, eps, groups, heads, cross_attention_dim, transformer_layers, linear,
                 num_layers=1):
        super().__init__()
        resnets = [ResnetBlock2D(channels, channels, temb, eps, groups)]
        attentions = []
        for _ in range(num_layers):
            attentions.append(Transformer2DModel(heads, channels // heads, channels, transformer_layers,
                                                 cross_attention_dim, groups, linear))
            resnets.append(ResnetBlock2D(channels, channels, temb, eps, groups))
        self.attentions = nn.ModuleList(attentions)
        self.resnets = nn.ModuleList(resnets)

    def forward(self, h, temb, encoder_hidden_states):
        h = self.resnets[0](h, temb)
        for attn, resnet in zip(self.attentions, self.resnets[1:]):
            h = attn(h, encoder_hidden_states)
            h = resnet(h, temb)
        return h


# ---- unet_2d_condition.py ------------------------------------------------------------------------------------------

class UNet2DConditionModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        c = {k: v for k, v in config.items() if not k.startswith("_")}
        assert c["mid_block_type"] == "UNetMidBlock2DCrossAttn"
        linear = c["use_linear_projection"]
        self.config = c
        outs, eps, g = c["block_out_channels"], c["norm_eps"], c["norm_num_groups"]
        n = len(outs)
        num_attention_heads = c.get("num_attention_heads") or c["attention_head_dim"]
        if isinstance(num_attention_heads, int):
            num_attention_heads = (num_attention_heads,) * n
        cross_attention_dim = c["cross_attention_dim"]
        if isinstance(cross_attention_dim, int):
            cross_attention_dim = (cross_attention_dim,) * n
        layers_per_block = c["layers_per_block"]
        if isinstance(layers_per_block, int):
            layers_per_block = [layers_per_block] * n
        tl = c["transformer_layers_per_block"]
        if isinstance(tl, int):
            tl = [tl] * n
        temb = outs[0] * 4
        self.conv_in = nn.Conv2d(c["in_channels"], outs[0], kernel_size=3, padding=1)
        self.time_proj = Timesteps(outs[0], c["flip_sin_to_cos"], c["freq_shift"])
        self.time_embedding = TimestepEmbedding(outs[0], temb)
        self.down_blocks = nn.ModuleList()
        output_channel = outs[0]
        for i, kind in enumerate(c["down_block_types"]):
            input_channel, output_channel = output_channel, outs[i]
            self.down_blocks.append(DownBlock(layers_per_block[i], tl[i], input_channel, output_channel, temb, eps, g,
                                              i < n - 1, c["downsample_padding"], num_attention_heads[i],
                                              cross_attention_dim[i], kind == "CrossAttnDownBlock2D", linear))
        self.mid_block = UNetMidBlock2DCrossAttn(outs[-1], temb, eps, g, num_attention_heads[-1],
                                                 cross_attention_dim[-1], tl[-1], linear)
        rev = list(reversed(outs))
        rev_heads = list(reversed(num_attention_heads))
        rev_layers = list(reversed(layers_per_block))
        rev_cross = list(reversed(cross_attention_dim))
        rev_tl = list(reversed(tl))
        self.up_blocks = nn.ModuleList()
        output_channel = rev[0]
        for i, kind in enumerate(c["up_block_types"]):
            prev_output_channel, output_channel = output_channel, rev[i]
            input_channel = rev[min(i + 1, n - 1)]
            self.up_blocks.append(UpBlock(rev_layers[i] + 1, rev_tl[i], input_channel, prev_output_channel,
                                          output_channel, temb, eps, g, i < n - 1, rev_heads[i], rev_cross[i],
                                          kind == "CrossAttnUpBlock2D", linear))
        self.conv_norm_out = nn.GroupNorm(num_channels=outs[0], num_groups=g, eps=eps)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(outs[0], c["out_channels"], kernel_size=3, padding=1)

    def forward(self, sample, timesteps, encoder_hidden_states):
        timesteps = timesteps.expand(sample.shape[0])
        t_emb = self.time_proj(timesteps).to(dtype=sample.dtype)
        emb = self.time_embedding(t_emb)
        sample = self.conv_in(sample)
        down_block_res_samples = (sample,)
        for block in self.down_blocks:
            sample, res_samples = block(sample, emb, encoder_hidden_states)
            down_block_res_samples += res_samples
        sample = self.mid_block(sample, emb, encoder_hidden_states)
        for block in self.up_blocks:
            res_samples = down_block_res_samples[-len(block.resnets):]
            down_block_res_samples = down_block_res_samples[: -len(block.resnets)]
            sample = block(sample, res_samples, emb, encoder_hidden_states)
        sample = self.conv_act(self.conv_norm_out(sample))
        return self.conv_out(sample)


# ---- fixtures ------------------------------------------------------------------------------------------------------

BASE = dict(
    _class_name="UNet2DConditionModel", _diffusers_version="0.27.0", sample_size=8, in_channels=3, out_channels=3,
    center_input_sample=False, flip_sin_to_cos=True, freq_shift=0,
    # SD's pattern at a tiny size: cross-attention at the first level and the middle, a plain deepest level
    down_block_types=["CrossAttnDownBlock2D", "DownBlock2D"], mid_block_type="UNetMidBlock2DCrossAttn",
    up_block_types=["UpBlock2D", "CrossAttnUpBlock2D"], only_cross_attention=False, block_out_channels=[16, 32],
    layers_per_block=1, downsample_padding=1, mid_block_scale_factor=1, dropout=0.0, act_fn="silu",
    norm_num_groups=4, norm_eps=1e-5, cross_attention_dim=16, transformer_layers_per_block=1,
    encoder_hid_dim=None, encoder_hid_dim_type=None,
    # heads per level (diffusers reads attention_head_dim as the head count): 2 heads of 8 at 16 channels,
    # 4 heads of 8 in the 32-channel middle block; the up path takes the list reversed
    attention_head_dim=[2, 4], num_attention_heads=None, dual_cross_attention=False, use_linear_projection=False,
    class_embed_type=None, addition_embed_type=None, addition_time_embed_dim=None, num_class_embeds=None,
    upcast_attention=False, resnet_time_scale_shift="default", resnet_skip_time_act=False,
    resnet_out_scale_factor=1.0, time_embedding_type="positional", time_embedding_dim=None,
    time_embedding_act_fn=None, timestep_post_act=None, time_cond_proj_dim=None, conv_in_kernel=3,
    conv_out_kernel=3, projection_class_embeddings_input_dim=None, attention_type="default",
    class_embeddings_concat=False, mid_block_only_cross_attention=None, cross_attention_norm=None,
    addition_embed_type_num_heads=64)
CASES = {
    # LDM / SD 1.x: 1x1-conv projections, one transformer block per Transformer2DModel, 3 tokens of 16
    "unet-cond": dict(BASE),
    # SD 2.x's settings: Linear projections, upcast_attention (no effect in float32), 2 transformer blocks each,
    # one head count for every level (2: heads of 8 and 16 channels), 5 tokens of 8
    "unet-cond-linear": dict(BASE, use_linear_projection=True, upcast_attention=True, transformer_layers_per_block=2,
                             attention_head_dim=2, cross_attention_dim=8),
}
SEEDS = {"unet-cond": (3000, 4000), "unet-cond-linear": (3001, 4001)}
TIMESTEPS = {"unet-cond": [123, 871], "unet-cond-linear": [7, 640]}
TOKENS = {"unet-cond": 3, "unet-cond-linear": 5}
WEIGHTS = "diffusion_pytorch_model.safetensors"


def build(name):
    torch.manual_seed(SEEDS[name][0])
    net = UNet2DConditionModel(CASES[name]).eval()
    with torch.no_grad():
        for pname, p in net.named_parameters():
            if ".norm" in pname or "conv_norm_out" in pname:
                p.add_(0.2 * torch.randn_like(p))   # affine away from (1, 0): a wrong eps or a missing bias shows
            elif pname.endswith(".bias"):
                p.add_(0.05 * torch.randn_like(p))
            if ".to_q." in pname or ".to_k." in pname:
                p.mul_(4.0)                         # peaked attention: heads and tokens matter
    quantize(net)
    return net


def read_weights(d):
    with gzip.open(os.path.join(d, WEIGHTS + ".gz"), "rb") as z:
        raw = z.read()
    tmp = os.path.join(d, ".check.safetensors")
    try:
        with open(tmp, "wb") as f:
            f.write(raw)
        return read_safetensors(tmp)
    finally:
        os.remove(tmp)


def run(net, x, t, ehs):
    with torch.no_grad():
        y = net(x, t, ehs)
        y64 = copy.deepcopy(net).double()(x.double(), t, ehs.double())
    return y, y64


def sensitivity(name, net, x, t, ehs, y):
    """How far the output moves when one setting is read wrongly: the test's tolerance must be far below these."""
    out = {}
    c = CASES[name]
    variants = {"heads 1": dict(attention_head_dim=1), "heads 4": dict(attention_head_dim=4),
                "flip_sin_to_cos": dict(flip_sin_to_cos=not c["flip_sin_to_cos"])}
    if c["transformer_layers_per_block"] > 1:
        variants["one transformer block (the second's weights unused)"] = dict(transformer_layers_per_block=1)
    for label, change in variants.items():
        other = UNet2DConditionModel(dict(c, **change)).eval()
        other.load_state_dict(net.state_dict(), strict=False)
        with torch.no_grad():
            out[label] = float((other(x, t, ehs) - y).abs().max())
    return out


def main():
    check = "--check" in sys.argv
    torch.set_num_threads(1)
    for name, c in CASES.items():
        d = os.path.join(OUT, name)
        net = build(name)
        g = torch.Generator().manual_seed(SEEDS[name][1])
        x = torch.randn(2, c["in_channels"], c["sample_size"], c["sample_size"], generator=g)
        t = torch.tensor(TIMESTEPS[name], dtype=torch.int64)
        ehs = torch.randn(2, TOKENS[name], c["cross_attention_dim"], generator=g)
        ehs2 = torch.randn(2, TOKENS[name], c["cross_attention_dim"], generator=g)
        y, y64 = run(net, x, t, ehs)
        y2, _ = run(net, x, t, ehs2)
        report = {"case": name, "params": sum(p.numel() for p in net.parameters()),
                  "max_abs_y": float(y.abs().max()), "f32_vs_f64": float((y.double() - y64).abs().max()),
                  "tokens_move_y_by": float((y - y2).abs().max())}
        if check:
            net.load_state_dict(read_weights(d), strict=True)
            io = read_io(os.path.join(d, "io.safetensors"))
            y_again, _ = run(net, io["x"], io["t"], io["encoder_hidden_states"])
            report["recomputed_vs_file"] = float((y_again - io["y"]).abs().max())
        else:
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(c, f, indent=2)
                f.write("\n")
            raw_path = os.path.join(d, WEIGHTS)
            write_safetensors(raw_path, net.state_dict(), {"format": "pt"})
            with open(raw_path, "rb") as f:
                raw = f.read()
            os.remove(raw_path)
            with open(raw_path + ".gz", "wb") as f:
                with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as z:
                    z.write(raw)
            report["weights_bytes"] = {"raw": len(raw), "gz": os.path.getsize(raw_path + ".gz")}
            write_safetensors(os.path.join(d, "io.safetensors"),
                              {"x": x, "t": t, "encoder_hidden_states": ehs, "y": y, "y64": y64.float(),
                               "encoder_hidden_states_2": ehs2, "y_2": y2},
                              {"generator": "src/test/python/unet_condition_reference.py", "torch": torch.__version__})
            back = read_weights(d)
            assert set(back) == set(net.state_dict()) and all(torch.equal(back[k], v)
                                                              for k, v in net.state_dict().items())
        report["sensitivity"] = sensitivity(name, net, x, t, ehs, y)
        print(json.dumps(report))


if __name__ == "__main__":
    main()
