#!/usr/bin/python3
"""PyTorch eager reference for `bench --config standard.json`: the same U-Net shape, the same workload.

Used to put LDM Studio's benchmark figures beside PyTorch's on the same machine, in the same session:
    python3 bench/torch_reference.py ../shared/bench/standard.json [--weights model.safetensors] [--check in.safetensors]

With --weights it loads a studio-written safetensors file (diffusers names) into the reference network;
with --check FILE it reads tensors `x`, `t` and `y` from FILE and prints the max abs difference between
its own forward(x, t) and `y` (a numerical cross-check of the Java network).
"""
import json, math, resource, statistics, struct, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        buf = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dt = {"F32": np.float32, "F16": np.float16}[info["dtype"]]
        out[name] = torch.from_numpy(np.frombuffer(buf[a:b], dtype=dt).astype(np.float32).reshape(info["shape"]).copy())
    return out


def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> torch tensor or numpy array (float32, float16 or int64), written in the given order,
    little-endian, the header padded to 8 bytes with spaces and `metadata` first, as safetensors writes it."""
    dt = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.int64): "I64"}
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().contiguous().numpy() if isinstance(t, torch.Tensor) else t)
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dt[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


class Resnet(nn.Module):
    def __init__(self, cin, cout, temb, g):
        super().__init__()
        self.norm1 = nn.GroupNorm(g, cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(g, cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.conv_shortcut(x) if self.conv_shortcut is not None else x) + h


class Attn(nn.Module):
    def __init__(self, c, heads, g):
        super().__init__()
        self.group_norm = nn.GroupNorm(g, c, eps=1e-5)
        self.to_q, self.to_k, self.to_v = nn.Linear(c, c), nn.Linear(c, c), nn.Linear(c, c)
        self.to_out = nn.ModuleList([nn.Linear(c, c)])
        self.heads = heads

    def forward(self, x):
        b, c, h, w = x.shape
        y = self.group_norm(x).view(b, c, h * w).transpose(1, 2)
        d = c // self.heads
        def split(t):
            return t.view(b, h * w, self.heads, d).transpose(1, 2).reshape(b * self.heads, h * w, d)
        q, k, v = split(self.to_q(y)), split(self.to_k(y)), split(self.to_v(y))
        a = torch.softmax(torch.bmm(q, k.transpose(1, 2)) / math.sqrt(d), dim=-1)
        o = torch.bmm(a, v).view(b, self.heads, h * w, d).transpose(1, 2).reshape(b, h * w, c)
        return self.to_out[0](o).transpose(1, 2).reshape(b, c, h, w) + x


class Level(nn.Module):
    pass


class UNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        mc, mult, nres, g = cfg["model_channels"], cfg["channel_mult"], cfg["num_res_blocks"], cfg["norm_groups"]
        attn_levels = [(1 << i) in cfg["attention_resolutions"] for i in range(len(mult))]
        heads = cfg["num_heads"]
        outs = [mc * m for m in mult]
        temb = mc * 4
        self.mc = mc
        self.conv_in = nn.Conv2d(cfg["in_channels"], mc, 3, padding=1)
        self.time_embedding = nn.Module()
        self.time_embedding.linear_1 = nn.Linear(mc, temb)
        self.time_embedding.linear_2 = nn.Linear(temb, temb)
        self.down_blocks = nn.ModuleList()
        out = mc
        for i, o in enumerate(outs):
            cin, out = out, o
            lv = Level()
            lv.resnets = nn.ModuleList([Resnet(cin if j == 0 else out, out, temb, g) for j in range(nres)])
            if attn_levels[i]:
                lv.attentions = nn.ModuleList([Attn(out, heads, g) for _ in range(nres)])
            if i < len(outs) - 1:
                lv.downsamplers = nn.ModuleList([nn.Module()])
                lv.downsamplers[0].conv = nn.Conv2d(out, out, 3, stride=2, padding=1)
            self.down_blocks.append(lv)
        mid = outs[-1]
        self.mid_block = Level()
        self.mid_block.resnets = nn.ModuleList([Resnet(mid, mid, temb, g), Resnet(mid, mid, temb, g)])
        self.mid_block.attentions = nn.ModuleList([Attn(mid, heads, g)])
        self.up_blocks = nn.ModuleList()
        out = outs[-1]
        for i in range(len(outs)):
            level = len(outs) - 1 - i
            prev, out = out, outs[level]
            skip_in = outs[max(level - 1, 0)]
            lv = Level()
            n = nres + 1
            lv.resnets = nn.ModuleList([Resnet((prev if j == 0 else out) + (skip_in if j == n - 1 else out), out, temb, g)
                                        for j in range(n)])
            if attn_levels[level]:
                lv.attentions = nn.ModuleList([Attn(out, heads, g) for _ in range(n)])
            if i < len(outs) - 1:
                lv.upsamplers = nn.ModuleList([nn.Module()])
                lv.upsamplers[0].conv = nn.Conv2d(out, out, 3, padding=1)
            self.up_blocks.append(lv)
        self.conv_norm_out = nn.GroupNorm(g, mc, eps=1e-5)
        self.conv_out = nn.Conv2d(mc, cfg["in_channels"], 3, padding=1)

    def forward(self, x, t):
        half = self.mc // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
        args = t.float()[:, None] * freqs[None]
        emb = torch.cat([torch.cos(args), torch.sin(args)], dim=1)
        temb = self.time_embedding.linear_2(F.silu(self.time_embedding.linear_1(emb)))
        h = self.conv_in(x)
        skips = [h]
        for lv in self.down_blocks:
            for j, r in enumerate(lv.resnets):
                h = r(h, temb)
                if hasattr(lv, "attentions"):
                    h = lv.attentions[j](h)
                skips.append(h)
            if hasattr(lv, "downsamplers"):
                h = lv.downsamplers[0].conv(h)
                skips.append(h)
        h = self.mid_block.resnets[0](h, temb)
        h = self.mid_block.attentions[0](h)
        h = self.mid_block.resnets[1](h, temb)
        for lv in self.up_blocks:
            for j, r in enumerate(lv.resnets):
                h = r(torch.cat([h, skips.pop()], dim=1), temb)
                if hasattr(lv, "attentions"):
                    h = lv.attentions[j](h)
            if hasattr(lv, "upsamplers"):
                h = lv.upsamplers[0].conv(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.conv_norm_out(h)))


def cosine_alphas_cumprod(T, s=0.008):
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
    betas = [min(1 - f(i + 1) / f(i), 0.999) for i in range(T)]
    return np.cumprod(1 - np.array(betas))


def main():
    args = sys.argv[1:]
    cfg = json.load(open(args[0]))
    torch.set_num_threads(cfg.get("threads", 2))
    torch.manual_seed(0)
    net = UNet(cfg)
    if "--weights" in args:
        sd = read_safetensors(args[args.index("--weights") + 1])
        missing, unexpected = net.load_state_dict(sd, strict=True), None
    if "--check" in args:
        d = read_safetensors(args[args.index("--check") + 1])
        with torch.no_grad():
            y = net(d["x"], d["t"])
        print(json.dumps({"max_abs_diff": float((y - d["y"]).abs().max()), "max_abs_y": float(d["y"].abs().max())}))
        return
    params = sum(p.numel() for p in net.parameters())
    c, r, bs = cfg["in_channels"], cfg["resolution"], cfg["batch_size"]
    ac = torch.tensor(cosine_alphas_cumprod(cfg["timesteps"]), dtype=torch.float32)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"])

    def step():
        x0 = torch.randn(bs, c, r, r)
        t = torch.randint(0, cfg["timesteps"], (bs,))
        eps = torch.randn_like(x0)
        a = ac[t][:, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        loss = F.mse_loss(net(xt, t), eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), cfg["grad_clip"])
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(cfg["train_steps"]):
        step()
    train_sps = cfg["train_steps"] / (time.perf_counter() - t0)

    n, steps, T = cfg["sample_batch"], cfg["ddim_steps"], cfg["timesteps"]
    ts = list(range(0, T, T // steps))[::-1]
    t0 = time.perf_counter()
    with torch.no_grad():
        x = torch.randn(n, c, r, r)
        for i, t in enumerate(ts):
            a = ac[t]
            ap = ac[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
            e = net(x, torch.full((n,), t))
            x0 = (x - (1 - a).sqrt() * e) / a.sqrt()
            x = ap.sqrt() * x0 + (1 - ap).sqrt() * e
    ddim_s = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"impl": "pytorch " + torch.__version__, "params": params, "train_steps_per_s": round(train_sps, 3),
                      "ddim_seconds": round(ddim_s, 3), "peak_rss_mb": round(rss, 1)}))


if __name__ == "__main__":
    main()
