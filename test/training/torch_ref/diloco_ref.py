#!/usr/bin/env python3
"""PyTorch reference for IOTA's DiLoCo maths (test/training/diloco.test.ts), written from the documented update:

  pseudo-gradient  (prev.float() - current.float()).to(bf16); clip: scale by max / (norm + 1e-6) when norm > max
  chunk range      floor(N / P) per chunk, the last one takes the remainder (IOTA's get_start_and_end_indices loop)
  average          sum of g.float() * w in source order, divided by sum(w), to bf16 (w = 1 unless weighted)
  outer step       buf = old_buf * mu + avg (avg when no old state); new = old_w - lr * (avg + mu * buf), lr 0.7,
                   mu = 0.5 + 0.4 * epoch / 20 before epoch 20, then 0.9
  download check   cosine of fp32 shards; success percentage (ok / listed) * 100

Each merge case is computed twice:
  "spec"     PyTorch's CPU bf16 semantics spelled out with explicit fp32/fp64 tensors, so the result does not depend
             on the installed torch: mul by a Python float in fp32 (torch >= 2.0), add with alpha as one fp32 FMA
             with alpha rounded to bf16 (torch's ufunc add converts Scalars to the tensor type), bf16 after every op;
  "literal"  the op sequence IOTA's merge_partition_batch runs (mul_, add_, add(alpha=...)), on this torch.

Commands:
  cases       stdout: JSON with every case, inputs and results as little-endian bf16 hex
  readblob    stdin: a partition blob as hex; stdout: {header, trailer, weights, optimizer_state} (hex)
"""
import json
import re
import struct
import sys

import torch

BF16 = torch.bfloat16
LR = 0.7


def hx(t):
    """bf16 tensor -> hex of its little-endian bytes."""
    return t.contiguous().view(torch.int16).numpy().astype('<i2').tobytes().hex()


def chunk_range(n, parts, target):
    """IOTA's get_start_and_end_indices: walks the sections up to the target and keeps the last bounds."""
    assert target < parts
    size = n // parts
    bounds = None
    for i in range(int(min(target + 1, parts))):
        lo = i * size
        bounds = (lo, lo + size if i < parts - 1 else n)
    return bounds


def momentum(epoch):
    if epoch >= 20:
        return 0.9
    return 0.5 + (0.9 - 0.5) * (epoch / 20)


def bf16_of(x):
    """A Python float as torch makes it a bf16 element: fp32 first, then round to nearest even."""
    return torch.tensor(x, dtype=torch.float32).to(BF16).double()


def fma_add(self_, other, alpha):
    """self + bf16(alpha) * other in one fp32 rounding (the two bf16 factors multiply exactly in fp64), then bf16."""
    return (self_.double() + bf16_of(alpha) * other.double()).float().to(BF16)


def average(grads, factors, weighted):
    acc, total = None, 0
    for g, f in zip(grads, factors):
        try:
            w = f if weighted else 1.0
            term = g.to(torch.float32) * w  # raises TypeError for a missing factor: that source is skipped
        except TypeError:
            continue
        acc = term if acc is None else acc + term
        total += w
    return (acc / total).to(BF16)


def outer_spec(old_w, avg, old_buf, mu):
    if old_buf is None:
        buf = avg.clone()
    else:
        scaled = (old_buf.float() * mu).to(BF16)
        buf = (scaled.float() + avg.float()).to(BF16)
    update = fma_add(avg, buf, mu)
    return fma_add(old_w, update, -LR), buf


def outer_literal(old_w, avg, old_buf, mu):
    if old_buf is None:
        buf = avg.clone()
    else:
        buf = old_buf.to(BF16).clone().mul_(mu).add_(avg)
    update = avg.add(buf, alpha=mu)
    return old_w.add(update, alpha=-LR), buf


def mul_scalar_rounding():
    """How this torch rounds the Python float in bf16_tensor * float: 3 * fp32(0.9) -> 2.703125, 3 * bf16(0.9) -> 2.6875."""
    return 'fp32' if torch.tensor([3.0], dtype=BF16).mul(0.9).item() == 2.703125 else 'bf16'


def cpu_capability():
    """The SIMD level torch's CPU kernels run at (AVX2, AVX512, DEFAULT, ...), as torch reports it."""
    m = re.search(r'CPU capability usage: (\w+)', torch.__config__.show())
    return m.group(1) if m else 'unknown'


def merge_cases():
    gen = torch.Generator().manual_seed(9)
    randn = lambda n, s: (torch.randn(n, generator=gen) * s)
    layouts = [
        # N, partitions, factors (None: no weighting_factor), weighted
        (1000, 7, [1, 2, 1], True),       # IOTA's own test: N not divisible by the partition count
        (1031, 5, [3, 1, 4, 2], True),    # odd length
        (4099, 3, [1, 1], False),         # chunks longer than torch's vector loop many times over
        (37, 4, [2, None, 5], True),      # chunks under 32 elements (all in torch's scalar tail) and a source without factor
        (10, 3, [7], True),               # one source
        (3, 5, [1, 2], True),             # N < partitions: all chunks but the last are empty
        (515, 2, [1, 2, 3], False),       # weighting off: plain mean
    ]
    cases = []
    for n, parts, factors, weighted in layouts:
        for epoch in (0, 7, 20, 25):
            for with_buf in (False, True):
                old_w = randn(n, 0.02).to(BF16)
                grads = [randn(n, 1e-3 * (k + 1)).to(BF16) for k in range(len(factors))]
                old_buf = randn(n, 2e-3).to(BF16) if with_buf else None
                if n == 1031:  # special values: exact zeros, negative zeros, fp32/bf16 subnormals, large magnitudes
                    for g in grads:
                        g[:4] = torch.tensor([0.0, -0.0, 1e-39, -3e-39])
                        g[4:8] = torch.tensor([1e30, -1e30, 3e-30, 65504.0])
                    old_w[8:12] = torch.tensor([-0.0, 1e-39, 1e20, -2.5])
                mu = momentum(epoch)
                out = {k: torch.zeros(n, dtype=BF16) for k in ('w_spec', 'b_spec', 'w_lit', 'b_lit')}
                chunks = []
                for c in range(parts):
                    s, e = chunk_range(n, parts, c)
                    chunks.append([s, e])
                    if e == s:
                        continue
                    avg = average([g[s:e] for g in grads], factors, weighted)
                    ob = None if old_buf is None else old_buf[s:e]
                    out['w_spec'][s:e], out['b_spec'][s:e] = outer_spec(old_w[s:e], avg, ob, mu)
                    out['w_lit'][s:e], out['b_lit'][s:e] = outer_literal(old_w[s:e], avg, ob, mu)
                cases.append({
                    'n': n, 'parts': parts, 'factors': factors, 'weighted': weighted, 'epoch': epoch, 'mu': mu,
                    'old_w': hx(old_w), 'grads': [hx(g) for g in grads], 'old_buf': None if old_buf is None else hx(old_buf),
                    'chunks': chunks, **{k: hx(v) for k, v in out.items()},
                })
    return cases


def pseudo_cases():
    gen = torch.Generator().manual_seed(3)
    cases = []
    for n in (1, 33, 1000, 4097):
        prev = (torch.randn(n, generator=gen) * 0.02).to(BF16)
        cur = (prev.float() + torch.randn(n, generator=gen) * 1e-3).to(BF16)
        prev32 = torch.randn(n, generator=gen) * 0.02
        cur32 = prev32 + torch.randn(n, generator=gen) * 1e-4
        pg = (prev.to(torch.float32) - cur.to(torch.float32)).to(BF16)
        pg32 = (prev32.to(torch.float32) - cur32.to(torch.float32)).to(BF16)
        norm = pg.norm(2).item()
        clips = []
        for factor in (0.5, 2.0):
            max_norm = norm * factor
            if norm > max_norm:
                scale = max_norm / (norm + 1e-6)
                spec, lit = (pg.float() * scale).to(BF16), pg * scale
            else:
                spec = lit = pg
            clips.append({'max_norm': max_norm, 'spec': hx(spec), 'lit': hx(lit)})
        cases.append({
            'prev': hx(prev), 'cur': hx(cur), 'pg': hx(pg), 'norm': norm, 'clips': clips,
            'prev32': prev32.numpy().astype('<f4').tobytes().hex(), 'cur32': cur32.numpy().astype('<f4').tobytes().hex(), 'pg32': hx(pg32),
        })
    return cases


def cosine_fp32(old, new):
    """IOTA's get_cosine_similarity: fp32, NaN when a norm is zero."""
    a, b = old.to(torch.float32).flatten(), new.to(torch.float32).flatten()
    denom = a.norm() * b.norm()
    if denom == 0:
        return float('nan')
    return float((torch.dot(a, b) / denom).item())


def cosine_cases():
    gen = torch.Generator().manual_seed(5)
    cases = []
    for noise in (0.0, 0.01, 0.3, 0.5, 1.0, 3.0):
        old = torch.randn(257, generator=gen).to(BF16)
        new = (old.float() + noise * torch.randn(257, generator=gen)).to(BF16)
        cases.append({'old': hx(old), 'new': hx(new), 'cos': cosine_fp32(old, new)})
    zero = torch.zeros(8, dtype=BF16)
    cases.append({'old': hx(zero), 'new': hx(torch.ones(8, dtype=BF16)), 'cos': None})
    return cases


def ranges():
    out = []
    for n in list(range(0, 41)) + [1000, 4099, 1234567, 10**9 + 7, 2**40 + 3]:
        for parts in list(range(1, 13)) + [97, 1000]:
            for c in sorted({0, 1, parts // 2, parts - 2, parts - 1} & set(range(parts))):
                out.append([n, parts, c, *chunk_range(n, parts, c)])
    return out


def success_pct(max_total):
    """'1' where IOTA refuses (download_pct < 90) for s successes out of t listed, t = 1..max_total, s = 0..t."""
    return ''.join('1' if (s / t) * 100 < 90 else '0' for t in range(1, max_total + 1) for s in range(t + 1))


def read_blob(data):
    version, reserved, trailer_offset = struct.unpack('<HHQ', data[:12])
    trailer = json.loads(data[trailer_offset:].decode('utf-8'))
    regions = {}
    for name in ('weights', 'optimizer_state'):
        r = trailer['regions'][name]
        raw = data[r['offset']:r['offset'] + r['length']]
        t = torch.frombuffer(bytearray(raw), dtype=torch.int16).view(BF16).reshape(r['shape'])
        regions[name] = hx(t)
    return {'header': [version, reserved, trailer_offset], 'trailer': trailer, **regions}


def main():
    cmd = sys.argv[1]
    if cmd == 'cases':
        json.dump({
            'torch': torch.__version__, 'mul_scalar_rounding': mul_scalar_rounding(), 'cpu_capability': cpu_capability(),
            'merge': merge_cases(), 'pseudo': pseudo_cases(), 'cosine': cosine_cases(),
            'ranges': ranges(), 'pct_max_total': 60, 'pct': success_pct(60),
        }, sys.stdout)
    elif cmd == 'readblob':
        json.dump(read_blob(bytes.fromhex(sys.stdin.read().strip())), sys.stdout)
    else:
        raise SystemExit(f'unknown command {cmd}')


if __name__ == '__main__':
    main()
