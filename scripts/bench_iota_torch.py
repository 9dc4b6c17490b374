#!/usr/bin/env python3
"""PyTorch reference for scripts/bench.ts (iota-* rows and the worker suite's stage rows): the parity-tested Stage of
test/training/torch_ref/iota_stages.py on the same shapes, fp32, eager. One step = forward + backward
(tail: shifted cross-entropy loss) + torch.optim.NAdam with IOTA's inner settings, unless noOptimizer (torch 1.13's
NAdam couples the weight decay; the cost per element is the same). Prints one JSON row per case and precision.
--precisions fp32,bf16 adds PyTorch's default mixed precision: forward and loss under torch.autocast(dtype=bfloat16),
fp32 weights, gradients and optimizer (works on cpu too, for checking the path). Row backends: pytorch-cpu (fp32, as
before), pytorch-cuda-fp32, pytorch-<device>-bf16. Each row names the device and its peak memory (CUDA:
torch.cuda.max_memory_allocated over the case).
Usage: bench_iota_torch.py --device cpu|cuda --steps N [--precisions fp32,bf16] --cases '<json list of {case, cfg, split, batch, seq, shape, noOptimizer?}>'"""
import argparse, contextlib, json, os, platform, resource, sys, time
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'training', 'torch_ref'))
from iota_stages import Stage, shifted_loss  # noqa: E402


def blas():
    """Which BLAS this process mapped (Debian's torch uses the libblas.so.3 alternative)."""
    torch.randn(8, 8) @ torch.randn(8, 8)
    maps = open('/proc/self/maps').read() if os.path.exists('/proc/self/maps') else ''
    for name in ('openblas', 'blis', 'mkl'):
        if name in maps:
            return name
    return 'reference' if 'libblas.so' in maps else 'unknown'


def backend_name(dev, precision):
    if precision == 'fp32':
        return 'pytorch-cuda-fp32' if dev.type == 'cuda' else 'pytorch-' + dev.type
    return 'pytorch-%s-%s' % (dev.type, precision)


def device_name(dev):
    if dev.type == 'cuda':
        return torch.cuda.get_device_name(dev)
    try:
        with open('/proc/cpuinfo') as f:
            return next(l.split(':', 1)[1].strip() for l in f if l.startswith('model name'))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def run(case, dev, steps, precision='fp32'):
    cfg, split, B, S = case['cfg'], case['split'], case['batch'], case['seq']
    torch.manual_seed(0)
    if dev.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(dev)
    # PyTorch's default autocast: matmuls in bf16 inside the forward (and its backward), weights and optimizer fp32.
    amp = (lambda: torch.autocast(dev.type, dtype=torch.bfloat16)) if precision == 'bf16' else contextlib.nullcontext
    m = Stage(cfg, split, device=dev)
    m.populate()
    o = case['optimizer']
    opt = None if case.get('noOptimizer') else torch.optim.NAdam(
        m.parameters(), lr=o['lr'], betas=(o['beta1'], o['beta2']), eps=o['eps'], weight_decay=o['weightDecay'],
        momentum_decay=o['momentumDecay'])
    ids = torch.randint(0, cfg['vocab_size'], (B, S), device=dev)
    x = ids if m.kind == 'head' else torch.randn(B, S, cfg['bottleneck_dim'], device=dev, requires_grad=True)
    dy = None if m.kind == 'tail' else torch.randn(B, S, cfg['bottleneck_dim'], device=dev)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    rows = []
    for i in range(1 + steps):  # the first is a warm-up
        sync()
        t0 = time.perf_counter()
        with amp():
            out = m(x)
            loss = shifted_loss(out, ids) if m.kind == 'tail' else None
        if loss is not None:
            loss.backward()
        else:
            out.backward(dy.to(out.dtype))
        del out, loss
        sync()
        t1 = time.perf_counter()
        if opt:
            opt.step()
            opt.zero_grad(set_to_none=True)
        else:
            m.zero_grad(set_to_none=True)
        if x.requires_grad:
            x.grad = None
        sync()
        rows.append((time.perf_counter() - t0, t1 - t0))
    total, fb = sorted(rows[1:])[len(rows[1:]) // 2]
    ms = total * 1000
    mem = torch.cuda.max_memory_allocated(dev) / 2**20 if dev.type == 'cuda' else None
    stepped = opt is not None
    del m, opt
    row = {'case': case['case'], 'backend': backend_name(dev, precision), 'shape': case['shape'],
            'tokens_per_s': B * S / total, 'ms_per_step': ms, 'fwd_bwd_ms': fb * 1000,
            'optimizer_ms': ms - fb * 1000 if stepped else None,
            'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            'reference': None, 'ratio_vs_reference': None, 'steps': steps,
            'threads': torch.get_num_threads(), 'torch': torch.__version__, 'blas': BLAS}
    if EXTRA:  # a CPU run in fp32 alone keeps today's rows
        row.update({'precision': precision, 'device': device_name(dev), 'max_memory_mb': mem})
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--cases', required=True)
    ap.add_argument('--steps', type=int, default=3)
    ap.add_argument('--precisions', default='fp32', help='fp32, bf16 or fp32,bf16')
    a = ap.parse_args()
    if a.device == 'cpu':
        torch.set_num_threads(os.cpu_count() or 1)
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32, as TF.js computes
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device(a.device)
    global BLAS, EXTRA
    BLAS = blas()
    EXTRA = dev.type != 'cpu' or a.precisions != 'fp32'
    for case in json.loads(a.cases):
        for precision in a.precisions.split(','):
            try:
                row = run(case, dev, a.steps, precision)
            except (RuntimeError, MemoryError) as e:  # e.g. CUDA out of memory: report, go on
                row = {'case': case['case'], 'backend': backend_name(dev, precision), 'shape': case['shape'], 'tokens_per_s': None,
                       'ms_per_step': None, 'peak_rss_mb': None, 'reference': None, 'ratio_vs_reference': None,
                       'skipped': str(e).split('\n')[0][:160]}
                if EXTRA:
                    row.update({'precision': precision, 'device': device_name(dev)})
            if dev.type == 'cuda':
                torch.cuda.empty_cache()
            print(json.dumps(row), flush=True)


if __name__ == '__main__':
    main()
