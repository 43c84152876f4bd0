#!/usr/bin/python3
"""Golden fixtures for io.ldmstudio.nn.VQModelTest: diffusers' VQModel written out in plain PyTorch.

diffusers is not needed (nor installed here): the classes below follow, line by line, diffusers'
  src/diffusers/models/autoencoders/vq_model.py   VQModel (encode, decode(h, force_not_quantize))
  src/diffusers/models/autoencoders/vae.py        Encoder (double_z=False), Decoder, VectorQuantizer (legacy=True)
  src/diffusers/models/unets/unet_2d_blocks.py    DownEncoderBlock2D, UpDecoderBlock2D, UNetMidBlock2D
  src/diffusers/models/resnet.py, downsampling.py, upsampling.py, attention_processor.py (AttnProcessor)
and the parameter names are exactly diffusers' state_dict names, so the weights written here load into
diffusers' VQModel.from_pretrained(folder) as they are.

Regenerate (needs torch >= 1.13 and numpy, e.g. Debian's python3-torch/python3-numpy, which is /usr/bin/python3
here, not a pyenv python; run from the repository root):
    /usr/bin/python3 src/test/python/vq_reference.py src/test/resources/golden/vq
It writes into that folder:
    config.json                          diffusers VQModel config (_class_name "VQModel")
    diffusion_pytorch_model.safetensors  seeded random weights, F32, diffusers names
    io.safetensors                       x (input images), h = encode(x), z_q = quantize(h) (straight-through
                                         output), indices (I64, flattened (B*h*w,) as diffusers returns them),
                                         commit_loss, dec = decode(h), dec_nq = decode(h, force_not_quantize=True)
and prints the float32-vs-float64 differences of the same program (the rounding noise of float32, which
bounds what a second float32 implementation can be expected to match) and the smallest gap between the
nearest and second-nearest codebook distance (how far the indices are from a tie).
It also prints the parameter count of CompVis/ldm-celebahq-256's vqvae config (asserted by the Java test).
Safetensors are written by hand (struct + json): no safetensors package.
"""
import json, os, sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "bench"))
from torch_reference import write_safetensors  # noqa: E402  (shared with unet_reference.py)

SEED = 1234

CONFIG = {
    "_class_name": "VQModel",
    "_diffusers_version": "0.31.0",
    "act_fn": "silu",
    "block_out_channels": [8, 16],
    "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
    "force_upcast": False,
    "in_channels": 3,
    "latent_channels": 3,
    "layers_per_block": 1,
    "lookup_from_codebook": False,
    "mid_block_add_attention": True,
    "norm_num_groups": 4,
    "norm_type": "group",
    "num_vq_embeddings": 16,
    "out_channels": 3,
    "sample_size": 16,
    "scaling_factor": 0.18215,
    "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"],
    "vq_embed_dim": None,
}

# CompVis/ldm-celebahq-256, vqvae/config.json (the fields that shape the network)
CELEBAHQ = dict(CONFIG, block_out_channels=[128, 256, 512], layers_per_block=2, latent_channels=3,
                num_vq_embeddings=8192, norm_num_groups=32, sample_size=256,
                down_block_types=["DownEncoderBlock2D"] * 3, up_block_types=["UpDecoderBlock2D"] * 3)


# ---------------------------------------------------------------------------------------------- blocks

class ResnetBlock2D(nn.Module):
    """diffusers.models.resnet.ResnetBlock2D, temb_channels=None, time_embedding_norm="default", output_scale_factor=1."""

    def __init__(self, cin, cout, groups, eps=1e-6):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps, affine=True)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=1, padding=1)
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps, affine=True)
        self.dropout = nn.Dropout(0.0)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1, stride=1, padding=0) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return (x + h) / 1.0


class Attention(nn.Module):
    """diffusers Attention as UNetMidBlock2D builds it (heads = 1, dim_head = C, residual, group_norm), AttnProcessor."""

    def __init__(self, c, groups, eps=1e-6):
        super().__init__()
        self.heads = 1
        self.group_norm = nn.GroupNorm(groups, c, eps=eps, affine=True)
        self.to_q, self.to_k, self.to_v = nn.Linear(c, c), nn.Linear(c, c), nn.Linear(c, c)
        self.to_out = nn.ModuleList([nn.Linear(c, c), nn.Dropout(0.0)])

    def forward(self, x):
        residual = x
        b, c, hh, ww = x.shape
        s = x.view(b, c, hh * ww).transpose(1, 2)
        s = self.group_norm(s.transpose(1, 2)).transpose(1, 2)
        q, k, v = self.to_q(s), self.to_k(s), self.to_v(s)
        # AttnProcessor (diffusers' classic processor; AttnProcessor2_0's scaled_dot_product_attention is
        # the same function and needs torch >= 2): head_to_batch_dim, get_attention_scores, bmm
        d = c // self.heads
        q, k, v = (t.reshape(b, -1, self.heads, d).permute(0, 2, 1, 3).reshape(b * self.heads, -1, d) for t in (q, k, v))
        scores = torch.baddbmm(torch.empty(q.shape[0], q.shape[1], k.shape[1], dtype=q.dtype), q, k.transpose(-1, -2),
                               beta=0, alpha=d ** -0.5)
        probs = scores.float().softmax(dim=-1).to(q.dtype)  # upcast_softmax=True
        o = torch.bmm(probs, v)
        o = o.reshape(b, self.heads, -1, d).permute(0, 2, 1, 3).reshape(b, -1, self.heads * d)
        o = self.to_out[1](self.to_out[0](o))
        o = o.transpose(-1, -2).reshape(b, c, hh, ww)
        return (o + residual) / 1.0


class Downsample2D(nn.Module):
    """use_conv=True, padding=0: pad (0, 1, 0, 1) with zeros, 3x3 conv stride 2."""

    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=0)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1), mode="constant", value=0))


class Upsample2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class DownEncoderBlock2D(nn.Module):
    def __init__(self, cin, cout, layers, groups, add_downsample):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if j == 0 else cout, cout, groups) for j in range(layers)])
        self.downsamplers = nn.ModuleList([Downsample2D(cout)]) if add_downsample else None

    def forward(self, x):
        for r in self.resnets:
            x = r(x)
        if self.downsamplers is not None:
            for d in self.downsamplers:
                x = d(x)
        return x


class UpDecoderBlock2D(nn.Module):
    def __init__(self, cin, cout, layers, groups, add_upsample):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if j == 0 else cout, cout, groups) for j in range(layers)])
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if add_upsample else None

    def forward(self, x):
        for r in self.resnets:
            x = r(x)
        if self.upsamplers is not None:
            for u in self.upsamplers:
                x = u(x)
        return x


class UNetMidBlock2D(nn.Module):
    def __init__(self, c, groups, add_attention):
        super().__init__()
        self.add_attention = add_attention
        self.attentions = nn.ModuleList([Attention(c, groups) if add_attention else None])
        self.resnets = nn.ModuleList([ResnetBlock2D(c, c, groups), ResnetBlock2D(c, c, groups)])

    def forward(self, x):
        x = self.resnets[0](x)
        for attn, resnet in zip(self.attentions, self.resnets[1:]):
            if attn is not None:
                x = attn(x)
            x = resnet(x)
        return x


class Encoder(nn.Module):
    def __init__(self, cin, cout, outs, layers, groups, double_z, mid_attn):
        super().__init__()
        self.conv_in = nn.Conv2d(cin, outs[0], 3, stride=1, padding=1)
        self.down_blocks = nn.ModuleList([])
        out = outs[0]
        for i in range(len(outs)):
            prev, out = out, outs[i]
            self.down_blocks.append(DownEncoderBlock2D(prev, out, layers, groups, i != len(outs) - 1))
        self.mid_block = UNetMidBlock2D(outs[-1], groups, mid_attn)
        self.conv_norm_out = nn.GroupNorm(num_channels=outs[-1], num_groups=groups, eps=1e-6)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(outs[-1], 2 * cout if double_z else cout, 3, padding=1)

    def forward(self, x):
        x = self.conv_in(x)
        for b in self.down_blocks:
            x = b(x)
        x = self.mid_block(x)
        return self.conv_out(self.conv_act(self.conv_norm_out(x)))


class Decoder(nn.Module):
    def __init__(self, cin, cout, outs, layers, groups, mid_attn):
        super().__init__()
        self.conv_in = nn.Conv2d(cin, outs[-1], 3, stride=1, padding=1)
        self.up_blocks = nn.ModuleList([])
        self.mid_block = UNetMidBlock2D(outs[-1], groups, mid_attn)
        rev = list(reversed(outs))
        out = rev[0]
        for i in range(len(outs)):
            prev, out = out, rev[i]
            self.up_blocks.append(UpDecoderBlock2D(prev, out, layers + 1, groups, i != len(outs) - 1))
        self.conv_norm_out = nn.GroupNorm(num_channels=outs[0], num_groups=groups, eps=1e-6)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(outs[0], cout, 3, padding=1)

    def forward(self, z):
        x = self.conv_in(z)
        x = self.mid_block(x)
        for b in self.up_blocks:
            x = b(x)
        return self.conv_out(self.conv_act(self.conv_norm_out(x)))


class VectorQuantizer(nn.Module):
    """beta=0.25, remap=None, sane_index_shape=False, legacy=True."""

    def __init__(self, n_e, dim, beta=0.25):
        super().__init__()
        self.n_e, self.vq_embed_dim, self.beta, self.legacy = n_e, dim, beta, True
        self.embedding = nn.Embedding(n_e, dim)
        self.embedding.weight.data.uniform_(-1.0 / n_e, 1.0 / n_e)

    def forward(self, z):
        z = z.permute(0, 2, 3, 1).contiguous()
        z_flattened = z.view(-1, self.vq_embed_dim)
        min_encoding_indices = torch.argmin(torch.cdist(z_flattened, self.embedding.weight), dim=1)
        z_q = self.embedding(min_encoding_indices).view(z.shape)
        if not self.legacy:
            loss = self.beta * torch.mean((z_q.detach() - z) ** 2) + torch.mean((z_q - z.detach()) ** 2)
        else:
            loss = torch.mean((z_q.detach() - z) ** 2) + self.beta * torch.mean((z_q - z.detach()) ** 2)
        z_q = z + (z_q - z).detach()
        z_q = z_q.permute(0, 3, 1, 2).contiguous()
        return z_q, loss, (None, None, min_encoding_indices)


class VQModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        lat, outs = cfg["latent_channels"], cfg["block_out_channels"]
        g, layers, attn = cfg["norm_num_groups"], cfg["layers_per_block"], cfg["mid_block_add_attention"]
        self.encoder = Encoder(cfg["in_channels"], lat, outs, layers, g, False, attn)
        d = cfg["vq_embed_dim"] if cfg["vq_embed_dim"] is not None else lat
        self.quant_conv = nn.Conv2d(lat, d, 1)
        self.quantize = VectorQuantizer(cfg["num_vq_embeddings"], d, beta=0.25)
        self.post_quant_conv = nn.Conv2d(d, lat, 1)
        self.decoder = Decoder(lat, cfg["out_channels"], outs, layers, g, attn)

    def encode(self, x):
        return self.quant_conv(self.encoder(x))

    def decode(self, h, force_not_quantize=False):
        if not force_not_quantize:
            quant, commit_loss, _ = self.quantize(h)
        else:  # lookup_from_codebook is False in this fixture
            quant = h
            commit_loss = torch.zeros((h.shape[0])).to(h.device, dtype=h.dtype)
        return self.decoder(self.post_quant_conv(quant)), commit_loss


# ---------------------------------------------------------------------------------------------- files

def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    model = VQModel(CONFIG).eval()
    with torch.no_grad():
        # GroupNorm affines off their (1, 0) defaults, so a swapped weight/bias or a missed affine shows
        for name, p in model.named_parameters():
            if ".norm" in name or "group_norm" in name or "conv_norm_out" in name:
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.2 * torch.randn_like(p))
        x = torch.rand(2, CONFIG["in_channels"], 16, 16) * 2 - 1
        h = model.encode(x)
        # a codebook at the latents' scale (diffusers' U(-1/K, 1/K) would leave all but a few entries unused),
        # redrawn until no latent vector is near a tie between two entries (exact float64 squared distances:
        # nearest and second nearest at least MIN_GAP * mean |h|^2 apart), so the indices are robust to rounding
        MIN_GAP = 1e-3
        hv = h.permute(0, 2, 3, 1).reshape(-1, h.shape[1])
        scale = (hv.double() ** 2).sum(1).mean().item()
        for attempt in range(1000):
            book = hv.mean(0) + hv.std(0) * torch.randn_like(model.quantize.embedding.weight)
            d2 = ((hv.double()[:, None, :] - book.double()[None]) ** 2).sum(-1)
            top2 = d2.topk(2, dim=1, largest=False).values
            gap = (top2[:, 1] - top2[:, 0]).min().item()
            if gap >= MIN_GAP * scale:
                break
        else:
            raise SystemExit("no codebook without near-ties in 1000 draws")
        model.quantize.embedding.weight.copy_(book)

        z_q, commit_loss, (_, _, indices) = model.quantize(h)
        dec, _ = model.decode(h)
        dec_nq, _ = model.decode(h, force_not_quantize=True)

        assert torch.equal(d2.argmin(1), indices), "float32 cdist and exact float64 distances choose different entries"

        # float32 rounding noise: the same program in float64
        m64 = VQModel(CONFIG).double().eval()
        m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
        h64 = m64.encode(x.double())
        dec64, _ = m64.decode(h64)
        dec_nq64, _ = m64.decode(h64, force_not_quantize=True)

    sd = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    write_safetensors(out / "diffusion_pytorch_model.safetensors", sd, {"format": "pt"})
    (out / "config.json").write_text(json.dumps(CONFIG, indent=2, sort_keys=True) + "\n")
    write_safetensors(out / "io.safetensors", {
        "x": x.numpy(), "h": h.numpy(), "z_q": z_q.numpy(), "indices": indices.numpy().astype(np.int64),
        "commit_loss": commit_loss.reshape(1).numpy(), "dec": dec.numpy(), "dec_nq": dec_nq.numpy(),
    }, {"format": "pt"})

    celeba = sum(p.numel() for p in VQModel(CELEBAHQ).parameters())
    n = sum(p.numel() for p in model.parameters())
    print(f"tiny VQModel: {n} parameters, {len(sd)} tensors; latents {tuple(h.shape)}, "
          f"{len(torch.unique(indices))} of {CONFIG['num_vq_embeddings']} codebook entries used")
    print(f"min gap nearest/second-nearest squared distance: {gap:.3e} (|h|^2 mean {scale:.3e}; codebook draw {attempt + 1})")
    print(f"float32 vs float64: h {(h.double() - h64).abs().max().item():.3e} (max |h| {h.abs().max().item():.3f}), "
          f"dec {(dec.double() - dec64).abs().max().item():.3e} (max |dec| {dec.abs().max().item():.3f}), "
          f"dec_nq {(dec_nq.double() - dec_nq64).abs().max().item():.3e}")
    print(f"commit_loss {commit_loss.item():.6e}")
    print(f"CompVis/ldm-celebahq-256 vqvae parameters: {celeba}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/golden/vq")
