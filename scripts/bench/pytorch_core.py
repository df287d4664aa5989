#!/usr/bin/env python3
"""PyTorch's figures for `pnpm bench core --pytorch`: the same Llama, batch and measurements as
scripts/bench/core.ts, in FP32 or under torch.autocast("cpu", dtype=torch.bfloat16).

Run by hand or by the bench (never in CI): it needs torch (Debian: apt-get install python3-torch,
which lives in /usr/bin/python3). One precision per process, so that peak RSS is its own:

    python3 scripts/bench/pytorch_core.py --config '{"vocab": 8192, ...}' --precision bf16 --threads 2

prints progress on stderr and one JSON object on stdout.
"""
import argparse
import json
import math
import resource
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

PROMPT = 64
NEW_TOKENS = 128


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        # in FP32 under autocast too, as Llama's reference implementation does
        x32 = x.float()
        y = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * y.to(x.dtype)


def rope(x, cos, sin):
    # x [B, H, T, hd]; rotate_half as Hugging Face's Llama
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return x * cos + torch.cat((-x2, x1), dim=-1) * sin


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, h, kv, ffn = c["d"], c["heads"], c["kv_heads"], c["ffn"]
        self.h, self.kv, self.hd = h, kv, d // h
        self.attn_norm = RMSNorm(d, c["eps"])
        self.q = nn.Linear(d, h * self.hd, bias=False)
        self.k = nn.Linear(d, kv * self.hd, bias=False)
        self.v = nn.Linear(d, kv * self.hd, bias=False)
        self.o = nn.Linear(h * self.hd, d, bias=False)
        self.mlp_norm = RMSNorm(d, c["eps"])
        self.gate = nn.Linear(d, ffn, bias=False)
        self.up = nn.Linear(d, ffn, bias=False)
        self.down = nn.Linear(ffn, d, bias=False)

    def forward(self, x, cos, sin, mask, cache=None):
        b, t, _ = x.shape
        y = self.attn_norm(x)
        q = self.q(y).view(b, t, self.h, self.hd).transpose(1, 2)
        k = self.k(y).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.v(y).view(b, t, self.kv, self.hd).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        if cache is not None:
            if cache[0] is not None:
                k = torch.cat((cache[0], k), dim=2)
                v = torch.cat((cache[1], v), dim=2)
            cache[0], cache[1] = k, v
        if self.kv != self.h:
            k = k.repeat_interleave(self.h // self.kv, dim=1)
            v = v.repeat_interleave(self.h // self.kv, dim=1)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.hd)
        if mask is not None:
            scores = scores + mask
        a = torch.matmul(torch.softmax(scores.float(), dim=-1).to(v.dtype), v)
        x = x + self.o(a.transpose(1, 2).reshape(b, t, -1))
        y = self.mlp_norm(x)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed = nn.Embedding(c["vocab"], c["d"])
        self.blocks = nn.ModuleList(Block(c) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["d"], c["eps"])
        self.head = nn.Linear(c["d"], c["vocab"], bias=False)
        hd = c["d"] // c["heads"]
        self.register_buffer("inv_freq", 1.0 / (c["theta"] ** (torch.arange(0, hd, 2).float() / hd)), persistent=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids, caches=None, past=0):
        b, t = ids.shape
        pos = torch.arange(past, past + t, dtype=torch.float32)
        freqs = torch.outer(pos, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = None
        if t > 1:
            mask = torch.full((t, past + t), float("-inf")).triu(past + 1)[None, None]
        x = self.embed(ids)
        for i, block in enumerate(self.blocks):
            x = block(x, cos, sin, mask, None if caches is None else caches[i])
        return self.head(self.norm(x))


def token_losses(model, ids):
    logits = model(ids)
    # next-token cross-entropy in FP32, as ours: B×(T-1) targets
    return F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")


def note(s):
    print(f"pytorch core: {s}", file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True, help="JSON: vocab d ffn layers heads kv_heads eps theta seq_len batch lr weight_decay")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    args = ap.parse_args()
    c = json.loads(args.config)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    bf16 = args.precision == "bf16"
    ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else (lambda: torch.autocast("cpu", enabled=False))

    model = Llama(c)
    opt = torch.optim.AdamW(model.parameters(), lr=c["lr"], weight_decay=c["weight_decay"])
    B, T = c["batch"], c["seq_len"]
    ids = torch.randint(3, c["vocab"], (B, T))

    def step():
        with ctx():
            loss = token_losses(model, ids).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    note(f"train {B}x{T} tokens, {args.precision}, {args.threads} threads, 1 warm-up + {args.steps} steps")
    step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    train = args.steps * B * T / (time.perf_counter() - t0)

    note("score")
    with torch.no_grad(), ctx():
        token_losses(model, ids)
        reps = 2
        t0 = time.perf_counter()
        for _ in range(reps):
            token_losses(model, ids).float().numpy()
        score = reps * B * T / (time.perf_counter() - t0)

    def generate(n, use_cache, new_tokens):
        prompts = torch.randint(3, c["vocab"], (n, PROMPT))
        with torch.no_grad(), ctx():
            if not use_cache:
                seq = prompts
                for _ in range(new_tokens):
                    nxt = model(seq)[:, -1].argmax(-1, keepdim=True)
                    seq = torch.cat((seq, nxt), dim=1)
                return seq
            caches = [[None, None] for _ in model.blocks]
            logits = model(prompts, caches, 0)
            nxt = logits[:, -1].argmax(-1, keepdim=True)
            past = PROMPT
            for _ in range(new_tokens - 1):
                logits = model(nxt, caches, past)
                past += 1
                nxt = logits[:, -1].argmax(-1, keepdim=True)
            return nxt

    def decode(n, use_cache):
        note(f"decode batch {n}{'' if use_cache else ' without cache'}")
        generate(n, use_cache, 4)
        t0 = time.perf_counter()
        generate(n, use_cache, NEW_TOKENS)
        return n * NEW_TOKENS / (time.perf_counter() - t0)

    b1 = decode(1, True)
    b16 = decode(16, True)
    nocache = decode(1, False)

    # the matmul peak of this precision, as torch reaches it (2048³, best of 5)
    a = torch.randn(2048, 2048)
    b = torch.randn(2048, 2048)
    best = float("inf")
    with torch.no_grad(), ctx():
        for i in range(6):
            t0 = time.perf_counter()
            torch.matmul(a, b)
            dt = time.perf_counter() - t0
            if i:
                best = min(best, dt)

    print(json.dumps({
        "precision": args.precision,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "train_tokens_per_s": train,
        "score_tokens_per_s": score,
        "decode_b1_tokens_per_s": b1,
        "decode_b16_tokens_per_s": b16,
        "nocache_b1_tokens_per_s": nocache,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "matmul_peak_gflops": 2 * 2048 ** 3 / best / 1e9,
    }))


if __name__ == "__main__":
    main()
