#!/usr/bin/env python3
"""PyTorch reference of IOTA's Llama-3 stages, written from the documented architecture, for parity tests.

Commands (all exchange raw little-endian float32 / int32 files and JSON):
  shapes          stdin: [{"cfg": model_cfg, "split": {"kind", "start", "end"}}, ...]
                  stdout: [[[name, shape], ...], ...] built on the meta device (nothing allocated)
  run DIR         DIR/manifest.json names the stage, weights, input, output grad; writes results into DIR
  optim DIR       DIR/manifest.json names params, grads per step and optimizer settings; writes new params
  statedict FILE  stdin: {"cfg", "split"}; stdout: {"module": [[name, shape]], "file": [[name, shape, dtype]]}
                  for the stage module (meta device) and the state_dict FILE (torch.load weights_only=True)
  ptprep DIR      DIR/manifest.json {cfg, split, batch, seq, seed, input_dtype}: loads DIR/export.pt strictly,
                  moves the norm gains off 1, writes weights.pt, input.pt and grad.pt with torch.save
  ptcheck DIR     runs the stage on those files in fp32 and compares with DIR/out.pt (iota-tui model run --grad)

Runs on torch 1.13 (Debian) and newer: RMSNorm and causal attention are spelled out because 1.13 has
neither nn.RMSNorm nor scaled_dot_product_attention.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EPS = 1e-5


class RMSNorm(nn.Module):
    """nn.RMSNorm(dim, eps=1e-5): x * rsqrt(mean(x^2) + eps) * weight."""

    def __init__(self, dim, device=None):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim, device=device))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * self.weight


def lin(n_in, n_out, device):
    return nn.Linear(n_in, n_out, bias=False, device=device)


class Decoder(nn.Module):
    """bottleneck_decoder.bottleneck_decoder = Sequential(Linear(bdim -> emb), ReLU)."""

    def __init__(self, cfg, device):
        super().__init__()
        self.bottleneck_decoder = nn.Sequential(lin(cfg["bottleneck_dim"], cfg["emb_dim"], device), nn.ReLU())

    def forward(self, x):
        return self.bottleneck_decoder(x)


def rope_tables(cfg, seq_len):
    hd = cfg["emb_dim"] // cfg["n_heads"]
    theta = cfg["rope_base"]
    if cfg["orig_context_length"] != cfg["context_length"]:
        theta = theta * cfg["context_length"] / cfg["orig_context_length"]
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    freq = cfg.get("rope_freq")
    if freq is not None:
        low_wl = freq["original_context_length"] / freq["low_freq_factor"]
        high_wl = freq["original_context_length"] / freq["high_freq_factor"]
        wavelen = 2 * math.pi / inv
        scaled = torch.where(wavelen > low_wl, inv / freq["factor"], inv)
        smooth = (freq["original_context_length"] / wavelen - freq["low_freq_factor"]) / (
            freq["high_freq_factor"] - freq["low_freq_factor"])
        smoothed = (1 - smooth) * (inv / freq["factor"]) + smooth * inv
        inv = torch.where((wavelen <= low_wl) & (wavelen >= high_wl), smoothed, scaled)
    angles = torch.arange(seq_len, dtype=torch.float32)[:, None] * inv[None, :]
    angles = torch.cat([angles, angles], dim=1)
    return torch.cos(angles), torch.sin(angles)


def rotate(x, cos, sin):
    half = x.shape[-1] // 2
    turned = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + turned * sin


class Attention(nn.Module):
    def __init__(self, cfg, device):
        super().__init__()
        e, self.h, self.kv = cfg["emb_dim"], cfg["n_heads"], cfg["n_kv_groups"]
        self.hd = e // self.h
        self.W_key = lin(e, self.kv * self.hd, device)
        self.W_value = lin(e, self.kv * self.hd, device)
        self.W_query = lin(e, e, device)
        self.out_proj = lin(e, e, device)

    def forward(self, x, cos, sin):
        b, t, e = x.shape
        q = self.W_query(x).view(b, t, self.h, self.hd).transpose(1, 2)
        k = self.W_key(x).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.W_value(x).view(b, t, self.kv, self.hd).transpose(1, 2)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        k = k.repeat_interleave(self.h // self.kv, dim=1)
        v = v.repeat_interleave(self.h // self.kv, dim=1)
        scores = (q @ k.transpose(2, 3)) / math.sqrt(self.hd)
        future = torch.triu(torch.ones(t, t, dtype=torch.bool, device=x.device), diagonal=1)
        weights = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        return self.out_proj((weights @ v).transpose(1, 2).reshape(b, t, e))


class FeedForward(nn.Module):
    def __init__(self, cfg, device, bottleneck):
        super().__init__()
        e, h = cfg["emb_dim"], cfg["hidden_dim"]
        self.fc1, self.fc2, self.fc3 = lin(e, h, device), lin(e, h, device), lin(h, e, device)
        if bottleneck:
            self.fc4 = lin(e, cfg["bottleneck_dim"], device)

    def forward(self, x):
        y = self.fc3(F.silu(self.fc1(x)) * self.fc2(x))
        return self.fc4(F.silu(y)) if hasattr(self, "fc4") else y


class Block(nn.Module):
    """TransformerBlock, or BottleneckTransformerBlock when bottleneck=True (decoder created first, fc4 added).

    A plain block gets its decoder lazily, on its first bottleneck_dim input, so it is registered last.
    """

    def __init__(self, cfg, device, bottleneck):
        super().__init__()
        self.cfg, self.is_bottleneck = cfg, bottleneck
        if bottleneck:
            self.bottleneck_decoder = Decoder(cfg, device)
        self.att = Attention(cfg, device)
        self.ff = FeedForward(cfg, device, bottleneck)
        self.norm1 = RMSNorm(cfg["emb_dim"], device)
        self.norm2 = RMSNorm(cfg["emb_dim"], device)

    def ensure_decoder(self, device):
        if not hasattr(self, "bottleneck_decoder"):
            self.add_module("bottleneck_decoder", Decoder(self.cfg, device))

    def forward(self, x, cos, sin):
        bd = self.cfg["bottleneck_dim"]
        shortcut = x
        if x.shape[-1] == bd:
            self.ensure_decoder(x.device)
            x = self.bottleneck_decoder(x)
        x = self.att(self.norm1(x), cos, sin)
        if shortcut.shape[-1] == bd:
            x = torch.cat([x[..., :bd] + shortcut, x[..., bd:]], dim=-1)
        else:
            x = x + shortcut
        if self.is_bottleneck:
            return self.ff(self.norm2(x)) + x[..., :bd]
        return self.ff(self.norm2(x)) + x


class Stage(nn.Module):
    """Head: tok_emb + blocks ending in a bottleneck block. Body: blocks ending in one. Tail: blocks + norm + out_head."""

    def __init__(self, cfg, split, device=None):
        super().__init__()
        self.cfg, self.kind = cfg, split["kind"]
        n = split["end"] - split["start"]
        if self.kind == "head":
            self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"], device=device)
        self.trf_blocks = nn.ModuleList(
            [Block(cfg, device, bottleneck=self.kind != "tail" and i == n - 1) for i in range(n)])
        if self.kind == "tail":
            self.final_norm = RMSNorm(cfg["emb_dim"], device)
            self.out_head = lin(cfg["emb_dim"], cfg["vocab_size"], device)

    def populate(self):
        """What the miner's blank bottleneck_dim forward does before making the optimizer."""
        first = self.trf_blocks[0]
        if self.kind != "head" and not first.is_bottleneck:
            first.ensure_decoder(next(first.parameters()).device)

    def forward(self, x):
        cos, sin = rope_tables(self.cfg, x.shape[1])
        x = self.tok_emb(x) if self.kind == "head" else x
        for blk in self.trf_blocks:
            x = blk(x, cos, sin)
        return self.out_head(self.final_norm(x)) if self.kind == "tail" else x


def shifted_loss(logits, targets, pad_token_id=None):
    """compute_loss: CE of logits[:, :-1] against targets[:, 1:], mean over kept targets, fp32."""
    labels = targets[:, 1:].clone()
    if pad_token_id is not None:
        pad = labels == pad_token_id
        pad = torch.cat([torch.zeros_like(pad[:, :1]), pad[:, :-1]], dim=1)
        labels[pad] = -100
    v = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1, :].float().reshape(-1, v), labels.reshape(-1), ignore_index=-100)


def read(path, shape, dtype="<f4"):
    return torch.from_numpy(np.fromfile(path, dtype=dtype).reshape(shape).copy())


def write(path, tensor):
    tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4").tofile(path)


def cmd_shapes():
    out = []
    for item in json.load(sys.stdin):
        stage = Stage(item["cfg"], item["split"], device="meta")
        stage.populate()
        out.append([[name, list(p.shape)] for name, p in stage.named_parameters()])
    json.dump(out, sys.stdout)


def load_weights(stage, d, m):
    names = [name for name, _ in stage.named_parameters()]
    if names != [p["name"] for p in m["params"]]:
        raise SystemExit(f"parameter order differs:\n torch {names}\n given {[p['name'] for p in m['params']]}")
    with torch.no_grad():
        for (name, p), spec in zip(stage.named_parameters(), m["params"]):
            p.copy_(read(os.path.join(d, spec["file"]), spec["shape"]))


def cmd_run(d):
    m = json.load(open(os.path.join(d, "manifest.json")))
    torch.set_num_threads(m.get("threads", 1))
    stage = Stage(m["cfg"], m["split"])
    stage.populate()
    load_weights(stage, d, m)
    b, s = m["batch"], m["seq"]
    if stage.kind == "head":
        x = read(os.path.join(d, "input.i32"), [b, s], "<i4").long()
    else:
        x = read(os.path.join(d, "input.f32"), [b, s, m["cfg"]["bottleneck_dim"]]).requires_grad_(True)
    out = stage(x)
    write(os.path.join(d, "out.torch.f32"), out)
    result = {}
    if stage.kind == "tail":
        ids = read(os.path.join(d, "targets.i32"), [b, s], "<i4").long()
        loss = shifted_loss(out, ids, m.get("pad_token_id"))
        result["loss"] = loss.item()
        loss.backward()
    else:
        out.backward(read(os.path.join(d, "dy.f32"), list(out.shape)))
    if x.is_floating_point():
        write(os.path.join(d, "input_grad.torch.f32"), x.grad)
    result["grad_none"] = [p.grad is None for p in stage.parameters()]
    for i, p in enumerate(stage.parameters()):
        if p.grad is not None:
            write(os.path.join(d, f"grad{i}.torch.f32"), p.grad)
    json.dump(result, open(os.path.join(d, "result.torch.json"), "w"))


def nadam_step(p, g, st, lr, beta1, beta2, eps, wd, psi, legacy=False):
    """torch>=2.1 _single_tensor_nadam with decoupled_weight_decay=True. legacy=True reproduces torch 1.13's
    coupled decay and its mu_product_next = mu_product * mu * mu_next (fixed in 2.x)."""
    st["step"] += 1
    step = st["step"]
    if wd != 0:
        if legacy:
            g = g.add(p, alpha=wd)
        else:
            p.mul_(1 - lr * wd)
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
    st["mu_product"] *= mu
    st["exp_avg"].lerp_(g, 1 - beta1)
    st["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
    denom = st["exp_avg_sq"].div(1 - beta2 ** step).sqrt().add_(eps)
    mp = st["mu_product"].item()
    mp_next = mp * mu * mu_next if legacy else mp * mu_next
    p.addcdiv_(g, denom, value=-lr * (1.0 - mu) / (1.0 - mp))
    p.addcdiv_(st["exp_avg"], denom, value=-lr * mu_next / (1.0 - mp_next))


def torch_has_decoupled_nadam():
    import inspect
    return "decoupled_weight_decay" in inspect.signature(torch.optim.NAdam.__init__).parameters


def run_torch_optimizer(opt, params, grads_per_step):
    for grads in grads_per_step:
        for p, g in zip(params, grads):
            p.grad = g.clone()
        opt.step()


def run_reference_nadam(params, grads_per_step, o, legacy):
    states = [{"step": 0, "mu_product": torch.ones((), dtype=torch.float32),
               "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)} for p in params]
    with torch.no_grad():
        for grads in grads_per_step:
            for p, g, st in zip(params, grads, states):
                nadam_step(p, g, st, o["lr"], o["beta1"], o["beta2"], o["eps"], o["weight_decay"],
                           o["momentum_decay"], legacy)


def cmd_optim(d):
    """NAdam or AdamW steps. Writes the params after the steps and which reference produced them."""
    m = json.load(open(os.path.join(d, "manifest.json")))
    o = m["options"]
    load = lambda f, shape: read(os.path.join(d, f), shape)
    make = lambda: [load(p["file"], p["shape"]).requires_grad_(True) for p in m["params"]]
    grads = [[load(f, p["shape"]) for f, p in zip(step, m["params"])] for step in m["grad_files"]]
    report = {}
    if o["kind"] == "adamw":
        params = make()
        opt = torch.optim.AdamW(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weight_decay"])
        run_torch_optimizer(opt, params, grads)
        report["reference"] = "torch.optim.AdamW"
    elif torch_has_decoupled_nadam():
        params = make()
        opt = torch.optim.NAdam(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weight_decay"],
                                momentum_decay=o["momentum_decay"], decoupled_weight_decay=True, foreach=False)
        run_torch_optimizer(opt, params, grads)
        report["reference"] = "torch.optim.NAdam(decoupled_weight_decay=True)"
    else:
        report.update(check_reference_against_legacy_torch(make, grads, o))
        params = make()
        run_reference_nadam(params, grads, o, legacy=False)
        report["reference"] = f"nadam_step (torch>=2.1 algorithm; torch {torch.__version__} lacks decoupled_weight_decay)"
    for p, spec in zip(params, m["params"]):
        write(os.path.join(d, spec["file"] + ".torch"), p)
    json.dump(report, open(os.path.join(d, "result.torch.json"), "w"))


def check_reference_against_legacy_torch(make, grads, o):
    """Anchors nadam_step to real torch code: in legacy mode it must equal this torch's own NAdam."""
    mine, theirs = make(), make()
    run_reference_nadam(mine, grads, o, legacy=True)
    opt = torch.optim.NAdam(theirs, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"],
                            weight_decay=o["weight_decay"], momentum_decay=o["momentum_decay"])
    run_torch_optimizer(opt, theirs, grads)
    err = max(((a - b).abs().max() / b.abs().max().clamp_min(1e-30)).item() for a, b in zip(mine, theirs))
    return {"legacy_check_max_rel": err}


def cmd_statedict(path):
    item = json.load(sys.stdin)
    stage = Stage(item["cfg"], item["split"], device="meta")
    stage.populate()
    sd = torch.load(path, weights_only=True)
    json.dump({"type": type(sd).__name__,
               "module": [[n, list(p.shape)] for n, p in stage.named_parameters()],
               "file": [[n, list(t.shape), str(t.dtype)] for n, t in sd.items()]}, sys.stdout)


def pt_stage(d):
    m = json.load(open(os.path.join(d, "manifest.json")))
    torch.set_num_threads(1)
    stage = Stage(m["cfg"], m["split"])
    stage.populate()
    return m, stage


def cmd_ptprep(d):
    m, stage = pt_stage(d)
    stage.load_state_dict(torch.load(os.path.join(d, "export.pt"), weights_only=True), strict=True)
    g = torch.Generator().manual_seed(m["seed"])
    with torch.no_grad():
        for name, p in stage.named_parameters():
            if "norm" in name:
                p.add_(torch.randn(p.shape, generator=g) * 0.2)
    torch.save(stage.state_dict(), os.path.join(d, "weights.pt"))
    b, s, cfg = m["batch"], m["seq"], m["cfg"]
    if stage.kind == "head":
        x = torch.randint(0, cfg["vocab_size"], (b, s), generator=g, dtype=torch.int64)
    else:
        x = torch.randn(b, s, cfg["bottleneck_dim"], generator=g).to(getattr(torch, m.get("input_dtype", "float32")))
    torch.save(x, os.path.join(d, "input.pt"))
    width = cfg["vocab_size"] if stage.kind == "tail" else cfg["bottleneck_dim"]
    torch.save(torch.randn(b, s, width, generator=g), os.path.join(d, "grad.pt"))


def rel(a, b):
    return ((a.float() - b.float()).abs().max() / b.float().abs().max().clamp_min(1e-30)).item()


def cmd_ptcheck(d):
    _, stage = pt_stage(d)
    stage.load_state_dict(torch.load(os.path.join(d, "weights.pt"), weights_only=True), strict=True)
    x = torch.load(os.path.join(d, "input.pt"), weights_only=True)
    if stage.kind != "head":
        x = x.float().requires_grad_(True)
    out = stage(x)
    out.backward(torch.load(os.path.join(d, "grad.pt"), weights_only=True))
    got = torch.load(os.path.join(d, "out.pt"), weights_only=True)
    grads = got["param_grads"]
    none_match = list(grads.keys()) == [n for n, _ in stage.named_parameters()] and all(
        (grads[n] is None) == (p.grad is None) for n, p in stage.named_parameters())
    json.dump({
        "output": rel(got["output"], out.detach()),
        "output_shape_match": list(got["output"].shape) == list(out.shape),
        "input_grad": None if stage.kind == "head" else rel(got["input_grad"], x.grad),
        "input_grad_is_none": got["input_grad"] is None,
        "param_grad": max(rel(grads[n], p.grad) for n, p in stage.named_parameters() if p.grad is not None),
        "none_match": none_match,
        "dtypes": sorted({str(t.dtype) for t in [got["output"], *[g for g in grads.values() if g is not None]]}),
    }, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] in ("statedict", "ptprep", "ptcheck"):
        {"statedict": cmd_statedict, "ptprep": cmd_ptprep, "ptcheck": cmd_ptcheck}[sys.argv[1]](sys.argv[2])
        sys.exit(0)
    if sys.argv[1] == "shapes":
        cmd_shapes()
    elif sys.argv[1] == "run":
        cmd_run(sys.argv[2])
    elif sys.argv[1] == "optim":
        cmd_optim(sys.argv[2])
    else:
        raise SystemExit(f"unknown command {sys.argv[1]}")
