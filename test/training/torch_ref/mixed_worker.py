#!/usr/bin/env python3
"""A PyTorch pipeline stage for the mixed-pipeline test, and the all-PyTorch reference run it is compared with.

Reads one JSON command per stdin line, answers one JSON line on stdout. Weights, activations and gradients
move as torch.save bytes through presigned URLs of the object store (GET to read, PUT to write):
  {"cmd": "init", "cfg", "split", "state_url", "options", "wire"}   load a state_dict, make the optimizer
  {"cmd": "forward", "in_url", "out_url"}                             keep the graph, send the output
  {"cmd": "backward", "grad_url", "out_url"}                          send the input grad, then one optimizer step
  {"cmd": "reference", "cfg", "splits", "state_urls", "options", "ids", "steps", "wire"}
                                                                      all three stages here; answers the losses
  {"cmd": "quit"}
"wire" is "float32" or "bfloat16": the dtype tensors travel in (bf16 as IOTA sends activations).
"""
import io
import json
import sys
import traceback
import urllib.request

import torch

from iota_stages import Stage, nadam_step, shifted_loss, torch_has_decoupled_nadam

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()


def put(url, value):
    buf = io.BytesIO()
    torch.save(value, buf)
    req = urllib.request.Request(url, data=buf.getvalue(), method="PUT",
                                 headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(req, timeout=60) as r:
        r.read()


def load(url):
    return torch.load(io.BytesIO(get(url)), weights_only=True)


class Optimizer:
    """IOTA's inner optimizer: torch's NAdam with decoupled decay where torch has it (>= 2.1), else
    iota_stages.nadam_step (the same algorithm, checked against torch's legacy NAdam by the parity test)."""

    def __init__(self, params, o):
        self.params, self.o = list(params), o
        self.torch_opt = None
        if o["kind"] == "adamw":
            self.torch_opt = torch.optim.AdamW(self.params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"],
                                               weight_decay=o["weight_decay"])
        elif torch_has_decoupled_nadam():
            self.torch_opt = torch.optim.NAdam(self.params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"],
                                               weight_decay=o["weight_decay"], momentum_decay=o["momentum_decay"],
                                               decoupled_weight_decay=True, foreach=False)
        self.states = {}

    def step(self):
        if self.torch_opt is not None:
            self.torch_opt.step()
        else:
            o = self.o
            with torch.no_grad():
                for i, p in enumerate(self.params):
                    if p.grad is None:  # as torch: no gradient, no state, no decay
                        continue
                    st = self.states.setdefault(i, {"step": 0, "mu_product": torch.ones((), dtype=torch.float32),
                                                    "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)})
                    nadam_step(p, p.grad, st, o["lr"], o["beta1"], o["beta2"], o["eps"], o["weight_decay"],
                               o["momentum_decay"])
        for p in self.params:
            p.grad = None


def make_stage(cfg, split, state_dict):
    stage = Stage(cfg, split)
    stage.populate()
    stage.load_state_dict(state_dict, strict=True)
    return stage


def over_wire(x, wire):
    """What the next stage receives: the tensor rounded to the wire dtype, back in fp32, a new leaf."""
    return x.detach().to(DTYPES[wire]).float()


class Worker:
    def init(self, m):
        self.wire = m["wire"]
        self.stage = make_stage(m["cfg"], m["split"], load(m["state_url"]))
        self.opt = Optimizer(self.stage.parameters(), m["options"])
        return {"params": len(self.opt.params)}

    def forward(self, m):
        self.x = load(m["in_url"]).float().requires_grad_(True)
        self.out = self.stage(self.x)
        put(m["out_url"], self.out.detach().to(DTYPES[self.wire]).clone())
        return {}

    def backward(self, m):
        self.out.backward(load(m["grad_url"]).float())
        put(m["out_url"], self.x.grad.detach().to(DTYPES[self.wire]).clone())
        self.opt.step()
        self.x = self.out = None
        return {}

    def reference(self, m):
        wire = m["wire"]
        stages = [make_stage(m["cfg"], s, load(u)) for s, u in zip(m["splits"], m["state_urls"])]
        opts = [Optimizer(s.parameters(), o) for s, o in zip(stages, m["options"])]
        ids = torch.tensor(m["ids"], dtype=torch.long)
        head, body, tail = stages
        losses = []
        for _ in range(m["steps"]):
            a = head(ids)
            a_in = over_wire(a, wire).requires_grad_(True)
            b = body(a_in)
            b_in = over_wire(b, wire).requires_grad_(True)
            loss = shifted_loss(tail(b_in), ids)
            losses.append(loss.item())
            loss.backward()
            b.backward(over_wire(b_in.grad, wire))
            a.backward(over_wire(a_in.grad, wire))
            for o in opts:
                o.step()
        return {"losses": losses, "optimizer": "torch" if opts[0].torch_opt is not None else "iota_stages.nadam_step"}


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    worker = Worker()
    for line in sys.stdin:
        m = json.loads(line)
        if m["cmd"] == "quit":
            break
        try:
            if m["cmd"] not in ("init", "forward", "backward", "reference"):
                raise ValueError(f"unknown command {m['cmd']}")
            reply = getattr(worker, m["cmd"])(m)
        except Exception:
            reply = {"error": traceback.format_exc()}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
