#!/usr/bin/python3
"""PyTorch peer for `rlhf bench train` / `rlhf bench generate`: a GPT-2 style model in plain PyTorch, timed on CPU.

Run with Debian's interpreter (/usr/bin/python3, packages python3-torch python3-numpy libopenblas0-pthread), not a
pyenv/venv python. Prints one JSON object per line on stdout ("impl":"pytorch"); the torch / BLAS configuration, the
parameter count and the attention choice go to stderr.

Model (see /work/shared/peer-figures.md): token + learned position embeddings; n pre-LayerNorm blocks
(LayerNorm -> causal self-attention with a fused qkv Linear (bias) -> proj Linear -> residual; LayerNorm -> Linear 4d ->
GELU (tanh approximation) -> Linear -> residual); final LayerNorm; LM head tied to the token embedding (no bias);
dropout 0; GPT-2 init (normal(0, 0.02), biases 0, residual projections scaled by 1/sqrt(2 * layers)).
  config A: 6 layers, 6 heads, d=384, T=256, vocab 8192 (~13.9M parameters), batch 8
  config B: 4 layers, 4 heads, d=256, T=128, vocab 4096 (~4.2M parameters), batch 8
  config G: GPT-2 124M shapes: 12 layers, 12 heads, d=768, 1024 positions, vocab 50257, trained at batch 4 x T=256
            (generation: batch 8 as above)
Every line carries peak_rss_mb: the process's peak resident set so far (ru_maxrss), as `rlhf bench` reports it.

Benches:
  train     random (B, T) token batches (fixed seed), cross-entropy over all positions, loss.backward(),
            AdamW(lr 3e-4, weight decay 0.1, betas (0.9, 0.95)), step(), zero_grad(set_to_none=True); 3 warm-up steps,
            then the median over --repeats steps of tokens/s = B*T / step time. Also prints a "forward" line.
  forward   the same model, no grad: logits for all B*T positions; median over --repeats passes.
  generate  batch 8, 64-token random prompt, 64 new tokens, multinomial sampling at temperature 1, KV cache by hand
            (per layer k, v buffers; after the prompt each step feeds only the new token), no grad. One warm-up
            generation, then the median over --repeats generations of tokens/s = 8*64 / (prefill + decode time):
            the prompt prefill (which also yields the first new token) is included. Prefill and decode times are
            reported separately too.

Threads: torch.set_num_threads(--threads) and OPENBLAS_NUM_THREADS (default: all cores), OMP_WAIT_POLICY=PASSIVE
(--omp-wait): Debian's torch runs its own ops on libgomp threads and its matmuls on OpenBLAS's separate pthreads; with
libgomp's default spin-waiting the two pools fight over the cores, which costs 2-5x here. Passive is the peer at its best.
"""
import argparse
import math
import os
import sys
import time
from peer_common import emit, median_time

CONFIGS = {
    "A": dict(layers=6, heads=6, d=384, ctx=256, vocab=8192, expected_params=13.9e6),
    "B": dict(layers=4, heads=4, d=256, ctx=128, vocab=4096, expected_params=4.2e6),
    # GPT-2 124M shapes (`rlhf bench train --preset gpt2-124m`): 1024 positions, trained at batch 4 x 256 tokens
    "G": dict(layers=12, heads=12, d=768, ctx=1024, vocab=50257, expected_params=124.4e6, batch=4, seq=256),
}
BATCH = 8
PROMPT = 64
NEW_TOKENS = 64


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", choices=["train", "forward", "generate", "all"], default="train",
                   help="train (also prints forward), forward, generate or all (default train)")
    p.add_argument("--config", choices=["A", "B", "G"], default="A", help="model size (default A; G = GPT-2 124M)")
    p.add_argument("--repeats", type=int, default=5, help="timed steps / passes / generations; median reported (default 5)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="torch.set_num_threads and OPENBLAS_NUM_THREADS (default: number of cores)")
    p.add_argument("--attn", choices=["auto", "plain", "sdpa"], default="auto",
                   help="attention: plain (q.k^T/sqrt(hs), causal mask, softmax, .v), sdpa "
                        "(F.scaled_dot_product_attention, torch >= 2.0) or auto: the faster of the two (default)")
    p.add_argument("--omp-wait", choices=["passive", "unset", "env"], default="passive",
                   help="OMP_WAIT_POLICY for torch's OpenMP threads: passive (default), unset (libgomp's default: "
                        "spin a while, then sleep; how peer-figures.md was measured) or env (leave the environment "
                        "alone). Spinning OpenMP threads take the cores OpenBLAS's own pthreads need: 2-5x slower "
                        "on 2 cores (see benchmarks/README.md)")
    p.add_argument("--seed", type=int, default=1234)
    a = p.parse_args()
    if a.threads < 1 or a.repeats < 1:
        p.error("--threads and --repeats must be >= 1")
    return a


def loaded_blas():
    with open("/proc/self/maps") as maps:
        return sorted({line.split()[-1] for line in maps if "blas" in line.lower()})


def build(torch, cfg):
    nn, F = torch.nn, torch.nn.functional
    has_sdpa = hasattr(F, "scaled_dot_product_attention")

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads, self.d = cfg["heads"], cfg["d"]
            self.qkv = nn.Linear(self.d, 3 * self.d)
            self.proj = nn.Linear(self.d, self.d)
            self.proj.residual = True
            self.mode = "plain"
            mask = torch.ones(cfg["ctx"], cfg["ctx"], dtype=torch.bool).triu(1)  # True above the diagonal = masked
            self.register_buffer("mask", mask, persistent=False)

        def forward(self, x, cache=None, pos=0):
            b, t, d = x.shape
            h, hs = self.heads, d // self.heads
            q, k, v = self.qkv(x).split(d, dim=2)
            q = q.view(b, t, h, hs).transpose(1, 2)  # (b, h, t, hs)
            k = k.view(b, t, h, hs).transpose(1, 2)
            v = v.view(b, t, h, hs).transpose(1, 2)
            if cache is not None:  # KV cache: write this step's k, v at [pos, pos + t), attend to [0, pos + t)
                kc, vc = cache
                kc[:, :, pos:pos + t].copy_(k)
                vc[:, :, pos:pos + t].copy_(v)
                k, v = kc[:, :, :pos + t], vc[:, :, :pos + t]
            causal = t > 1  # a single new token attends to everything before it: no mask
            if self.mode == "sdpa":
                # with a cache and t > 1 this would need an offset mask; only prefill from pos 0 uses t > 1 here
                y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
                if causal:
                    tk = k.shape[2]
                    att = att.masked_fill(self.mask[tk - t:tk, :tk], float("-inf"))
                y = torch.softmax(att, dim=-1) @ v
            y = y.transpose(1, 2).contiguous().view(b, t, d)
            return self.proj(y)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            d = cfg["d"]
            self.ln1 = nn.LayerNorm(d)
            self.attn = Attention()
            self.ln2 = nn.LayerNorm(d)
            self.fc = nn.Linear(d, 4 * d)
            self.fc2 = nn.Linear(4 * d, d)
            self.fc2.residual = True

        def forward(self, x, cache=None, pos=0):
            x = x + self.attn(self.ln1(x), cache, pos)
            return x + self.fc2(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(cfg["vocab"], cfg["d"])
            self.wpe = nn.Embedding(cfg["ctx"], cfg["d"])
            self.blocks = nn.ModuleList(Block() for _ in range(cfg["layers"]))
            self.ln_f = nn.LayerNorm(cfg["d"])
            self.apply(self._init)

        def _init(self, m):
            if isinstance(m, (nn.Linear, nn.Embedding)):
                std = 0.02 / math.sqrt(2 * cfg["layers"]) if getattr(m, "residual", False) else 0.02
                nn.init.normal_(m.weight, 0.0, std)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)

        def forward(self, idx, caches=None, pos=0):
            t = idx.shape[1]
            x = self.wte(idx) + self.wpe(torch.arange(pos, pos + t))
            for i, block in enumerate(self.blocks):
                x = block(x, caches[i] if caches is not None else None, pos)
            return F.linear(self.ln_f(x), self.wte.weight)  # tied LM head, no bias

        def set_attention(self, mode):
            for block in self.blocks:
                block.attn.mode = mode

    return GPT(), has_sdpa




def main():
    args = parse_args()
    # OpenBLAS reads its thread count at load time, so set it before torch (which loads libblas) is imported
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    # read by libgomp when torch loads it, so it too must be set before the import
    if args.omp_wait == "passive":
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    elif args.omp_wait == "unset":
        os.environ.pop("OMP_WAIT_POLICY", None)
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cfg = CONFIGS[args.config]
    model, has_sdpa = build(torch, cfg)
    params = sum(p.numel() for p in model.parameters())  # the tied LM head is the token embedding: counted once

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset: libgomp spins)')}", file=sys.stderr)
    for lib in loaded_blas():
        print(f"  loaded: {lib}", file=sys.stderr)
    print(f"config {args.config}: {cfg['layers']} layers, {cfg['heads']} heads, d={cfg['d']}, T={cfg['ctx']}, "
          f"vocab {cfg['vocab']}, batch {cfg.get('batch', BATCH)} x {cfg.get('seq', cfg['ctx'])}: {params:,} parameters (tied embeddings)", file=sys.stderr)
    if abs(params - cfg["expected_params"]) > 0.02 * cfg["expected_params"]:
        sys.exit(f"gpt_torch.py: parameter count {params:,} is not ~{cfg['expected_params']:,.0f}: model is wrong")

    gen = torch.Generator().manual_seed(args.seed)
    b, t, vocab = cfg.get("batch", BATCH), cfg.get("seq", cfg["ctx"]), cfg["vocab"]
    base = dict(config=args.config, impl="pytorch", params=params, batch=b, threads=torch.get_num_threads(),
                omp_wait=os.environ.get("OMP_WAIT_POLICY", "unset").lower())

    # attention: plain always works; sdpa only exists in torch >= 2.0 (not in Debian's 1.13). auto = the faster,
    # judged on a no-grad forward of a full (B, T) batch (the attention implementation is the only difference).
    modes = ["plain", "sdpa"] if args.attn == "auto" else [args.attn]
    if not has_sdpa:
        if args.attn == "sdpa":
            sys.exit(f"gpt_torch.py: torch {torch.__version__} has no F.scaled_dot_product_attention")
        modes = ["plain"]
        print("attention: plain (F.scaled_dot_product_attention is not in this torch)", file=sys.stderr)
    if len(modes) > 1:
        x = torch.randint(vocab, (b, t), generator=gen)
        timed = {}
        for mode in modes:
            model.set_attention(mode)
            with torch.no_grad():
                timed[mode] = median_time(lambda: model(x), 1, 3)
        print("attention: " + ", ".join(f"{m} {s * 1e3:.0f} ms/forward" for m, s in timed.items()), file=sys.stderr)
        modes = [min(timed, key=timed.get)]
    attn = modes[0]
    model.set_attention(attn)
    base["attn"] = attn

    if args.bench in ("train", "all"):
        decay = [p for p in model.parameters() if p.dim() >= 2]  # GPT-2 / nanoGPT: no decay on biases, LayerNorm
        no_decay = [p for p in model.parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                lr=3e-4, betas=(0.9, 0.95))
        model.train()
        losses = []

        def step():
            data = torch.randint(vocab, (b, t + 1), generator=gen)
            x, y = data[:, :-1], data[:, 1:]
            logits = model(x)
            loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            losses.append(loss.item())

        seconds = median_time(step, 3, args.repeats)
        print(f"train: first loss {losses[0]:.3f} (ln vocab = {math.log(vocab):.3f}), last {losses[-1]:.3f}",
              file=sys.stderr)
        emit(dict(bench="train", tokens_per_s=round(b * t / seconds, 1), ms_per_step=round(seconds * 1e3, 1),
                  seq=t, repeats=args.repeats, **base))

    if args.bench in ("train", "forward", "all"):
        model.eval()
        x = torch.randint(vocab, (b, t), generator=gen)
        with torch.no_grad():
            seconds = median_time(lambda: model(x), 2, args.repeats)
        emit(dict(bench="forward", tokens_per_s=round(b * t / seconds, 1), ms_per_step=round(seconds * 1e3, 1),
                  seq=t, repeats=args.repeats, **base))

    if args.bench in ("generate", "all"):
        model.eval()
        b = BATCH
        base["batch"] = b
        h, hs = cfg["heads"], cfg["d"] // cfg["heads"]
        total = PROMPT + NEW_TOKENS
        assert total - 1 <= cfg["ctx"], "the last sampled token is never fed, so positions 0..total-2 must fit"
        caches = [(torch.empty(b, h, total, hs), torch.empty(b, h, total, hs)) for _ in range(cfg["layers"])]
        prompt = torch.randint(vocab, (b, PROMPT), generator=gen)

        def sample(logits):  # temperature 1: softmax of the raw logits, one multinomial draw per row
            return torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=gen)

        def generate():
            with torch.no_grad():
                t0 = time.perf_counter()
                logits = model(prompt, caches, 0)  # prefill: fills positions 0..PROMPT-1, yields the first new token
                tok = sample(logits[:, -1])
                out = [tok]
                t1 = time.perf_counter()
                for i in range(1, NEW_TOKENS):  # decode: feed only the newest token
                    logits = model(tok, caches, PROMPT + i - 1)
                    tok = sample(logits[:, -1])
                    out.append(tok)
                t2 = time.perf_counter()
            assert torch.cat(out, dim=1).shape == (b, NEW_TOKENS)
            return t1 - t0, t2 - t1

        generate()  # warm-up
        runs = [generate() for _ in range(args.repeats)]
        totals = sorted(runs, key=lambda r: r[0] + r[1])
        prefill, decode = totals[len(totals) // 2]  # the run with the median total time
        emit(dict(bench="generate", tokens_per_s=round(b * NEW_TOKENS / (prefill + decode), 1),
                  prefill_ms=round(prefill * 1e3, 1), decode_ms=round(decode * 1e3, 1),
                  decode_tokens_per_s=round(b * (NEW_TOKENS - 1) / decode, 1),
                  prompt=PROMPT, new_tokens=NEW_TOKENS, temperature=1.0, repeats=args.repeats, **base))


if __name__ == "__main__":
    main()
