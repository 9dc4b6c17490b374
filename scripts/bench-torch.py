#!/usr/bin/env python3
"""PyTorch reference for scripts/bench.ts: the same stage model (RMSNorm, RoPE, GQA, SwiGLU, bottleneck),
same shapes, fp32, eager. Times one forward+backward per step. Prints one JSON row per case.
Usage: bench-torch.py --device cpu|cuda --cases '<json list of {case, config, stage, batch, seq}>' --steps N"""
import argparse, json, math, os, resource, sys, time
import torch
import torch.nn.functional as F


def rms(x, g, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g


class Stage(torch.nn.Module):
    def __init__(self, c, stage):
        super().__init__()
        self.c = c
        n = len(c['splits'])
        s, e = c['splits'][stage]
        start, end = (0 if s < 0 else s), (c['nLayers'] if e < 0 else e)
        self.embedding, self.head = stage == 0, stage == n - 1
        d, h, kv, f, bd, v = c['dModel'], c['nHeads'], c['nKvHeads'], c['ffnDim'], c['bottleneckDim'], c['vocabSize']
        hd = d // h
        P = lambda *shape: torch.nn.Parameter(torch.randn(*shape) * 0.02)
        self.blocks = []
        if self.embedding:
            self.tok_emb = P(v, d)
        for i in range(start, end):
            b = torch.nn.ParameterDict()
            if stage > 0 and i == start:
                b['dec_w'], b['dec_b'] = P(bd, d), torch.nn.Parameter(torch.zeros(d))
            b['attn_norm'], b['ffn_norm'] = torch.nn.Parameter(torch.ones(d)), torch.nn.Parameter(torch.ones(d))
            b['wq'], b['wk'], b['wv'], b['wo'] = P(d, h * hd), P(d, kv * hd), P(d, kv * hd), P(h * hd, d)
            b['w_gate'], b['w_up'], b['w_down'] = P(d, f), P(d, f), P(f, d)
            if not self.head and i == end - 1:
                b['fc4'] = P(d, bd)
            self.blocks.append(b)
        self.blocks = torch.nn.ModuleList(self.blocks)
        if self.head:
            self.final_norm, self.out_head = torch.nn.Parameter(torch.ones(d)), P(d, v)

    def forward(self, x, ids):
        c = self.c
        B, T = ids.shape
        d, h, kv, eps = c['dModel'], c['nHeads'], c['nKvHeads'], c['normEps']
        hd = d // h
        x = self.tok_emb[ids] if self.embedding else x
        pos = torch.arange(T, device=ids.device, dtype=torch.float32)
        inv = c['ropeTheta'] ** (-torch.arange(0, hd, 2, device=ids.device, dtype=torch.float32) / hd)
        ang = pos[:, None] * inv[None, :]
        cos, sin = ang.cos(), ang.sin()

        def rope(t):
            t1, t2 = t[..., :hd // 2], t[..., hd // 2:]
            return torch.cat([t1 * cos - t2 * sin, t2 * cos + t1 * sin], -1)

        for b in self.blocks:
            if 'dec_w' in b:
                x = F.relu(x @ b['dec_w'] + b['dec_b'])
            xn = rms(x, b['attn_norm'], eps)
            q = rope((xn @ b['wq']).view(B, T, h, hd).transpose(1, 2))
            k = rope((xn @ b['wk']).view(B, T, kv, hd).transpose(1, 2)).repeat_interleave(h // kv, 1)
            vv = (xn @ b['wv']).view(B, T, kv, hd).transpose(1, 2).repeat_interleave(h // kv, 1)
            att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
            att = att.masked_fill(torch.ones(T, T, device=x.device, dtype=torch.bool).triu(1), float('-inf')).softmax(-1)
            o = (att @ vv).transpose(1, 2).reshape(B, T, d)
            hres = x + o @ b['wo']
            hn = rms(hres, b['ffn_norm'], eps)
            ff = (F.silu(hn @ b['w_gate']) * (hn @ b['w_up'])) @ b['w_down']
            x = hres[..., :c['bottleneckDim']] + ff @ b['fc4'] if 'fc4' in b else hres + ff
        if not self.head:
            return x
        logits = rms(x, self.final_norm, eps)[:, :-1] @ self.out_head
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--cases', required=True)
    ap.add_argument('--steps', type=int, default=3)
    a = ap.parse_args()
    if a.device == 'cpu':
        torch.set_num_threads(os.cpu_count() or 1)
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32, as TF.js computes
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device(a.device)
    for case in json.loads(a.cases):
        c, stage, B, T = case['config'], case['stage'], case['batch'], case['seq']
        torch.manual_seed(0)
        m = Stage(c, stage).to(dev)
        ids = torch.randint(0, c['vocabSize'], (B, T), device=dev)
        x = None if stage == 0 else torch.randn(B, T, c['bottleneckDim'], device=dev, requires_grad=True)
        dy = None if m.head else torch.randn(B, T, c['bottleneckDim'], device=dev)

        def step():
            out = m(x, ids)
            if m.head:
                out.backward()
            else:
                out.backward(dy)

        times = []
        for i in range(args_warm(a) + a.steps):
            if dev.type == 'cuda':
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            step()
            if dev.type == 'cuda':
                torch.cuda.synchronize()
            if i >= args_warm(a):
                times.append(time.perf_counter() - t0)
        ms = sorted(times)[len(times) // 2] * 1000
        print(json.dumps({'case': case['case'], 'backend': 'pytorch-' + dev.type, 'shape': case['shape'],
                          'tokens_per_s': B * T / (ms / 1000), 'ms_per_step': ms,
                          'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                          'reference': None, 'ratio_vs_reference': None,
                          'threads': torch.get_num_threads(), 'torch': torch.__version__}), flush=True)


def args_warm(a):
    return 1


if __name__ == '__main__':
    main()
