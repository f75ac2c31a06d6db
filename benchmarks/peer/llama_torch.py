#!/usr/bin/python3
"""PyTorch peer for `rlhf bench train --preset smollm2-135m|qwen2.5-0.5b`: a Llama-family decoder in plain PyTorch,
timed on CPU, with the same CLI and JSON lines as gpt_torch.py.

Run with Debian's interpreter (/usr/bin/python3, packages python3-torch python3-numpy libopenblas0-pthread), not a
pyenv/venv python. Prints one JSON object per line on stdout ("impl":"pytorch"); the torch / BLAS configuration and the
parameter count go to stderr.

Model, written from the formulas of HF transformers' modeling_llama.py / modeling_qwen2.py (no transformers import):
  token embedding -> L decoder layers -> final RMSNorm -> LM head tied to the embedding (both presets tie).
  decoder layer: h = x + o_proj(attn(input_layernorm(x))); out = h + down_proj(silu(gate_proj(n)) * up_proj(n)),
                 n = post_attention_layernorm(h)
  RMSNorm:       w * x / sqrt(mean(x^2, last dim) + eps)
  attention:     q = q_proj(x) (H heads), k = k_proj(x), v = v_proj(x) (KV heads; bias on q/k/v for Qwen2, none for
                 Llama); rotary embedding on q and k (inv_freq = theta^(-2i/d), cos/sin of cat(freqs, freqs),
                 rotate_half = cat(-x2, x1)); grouped-query: each KV head serves H/KV query heads (repeat_kv);
                 softmax(q k^T / sqrt(d) + causal mask) v; o_proj without bias.
  init:          normal(0, 0.02) for projections and embeddings, biases 0, norms 1 (HF's _init_weights).
  smollm2-135m:  30 layers, d 576, 9 heads / 3 KV heads (head 64), MLP 1536, vocab 49152, theta 1e5, eps 1e-5
  qwen2.5-0.5b:  24 layers, d 896, 14 heads / 2 KV heads (head 64), MLP 4864, vocab 151936, theta 1e6, eps 1e-6, qkv bias
  llama-tiny:    2 layers, d 64, 4 / 2 heads, MLP 128, vocab 512 (smoke test only)
Training at batch 4 x 256 (llama-tiny: 8 x 64), as `rlhf bench train --preset ...`; --batch / --seq override.

Benches (as gpt_torch.py):
  train     random (B, T) token batches (fixed seed), cross-entropy over all positions, loss.backward(),
            AdamW(lr 3e-4, weight decay 0.1 on matrices, betas (0.9, 0.95)), step(), zero_grad(set_to_none=True);
            3 warm-up steps (--warmup), then the median over --repeats steps of tokens/s = B*T / step time.
            Also prints a "forward" line.
  forward   the same model, no grad: logits for all B*T positions; median over --repeats passes.
Every line carries peak_rss_mb (ru_maxrss). Threads and OMP_WAIT_POLICY as in gpt_torch.py (passive by default).
"""
import argparse
import math
import os
import sys
import time
from peer_common import emit, median_time

CONFIGS = {
    "smollm2-135m": dict(layers=30, d=576, heads=9, kv_heads=3, mlp=1536, vocab=49152, theta=1e5, eps=1e-5,
                         qkv_bias=False, batch=4, seq=256, expected_params=134_515_008),
    "qwen2.5-0.5b": dict(layers=24, d=896, heads=14, kv_heads=2, mlp=4864, vocab=151936, theta=1e6, eps=1e-6,
                         qkv_bias=True, batch=4, seq=256, expected_params=494_032_768),
    "llama-tiny": dict(layers=2, d=64, heads=4, kv_heads=2, mlp=128, vocab=512, theta=1e4, eps=1e-6,
                       qkv_bias=False, batch=8, seq=64, expected_params=None),
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", choices=["train", "forward"], default="train", help="train (also prints forward) or forward")
    p.add_argument("--config", choices=sorted(CONFIGS), default="smollm2-135m", help="preset (default smollm2-135m)")
    p.add_argument("--repeats", type=int, default=3, help="timed steps / passes; median reported (default 3)")
    p.add_argument("--warmup", type=int, default=3, help="untimed training steps first (default 3)")
    p.add_argument("--batch", type=int, help="batch size instead of the preset's")
    p.add_argument("--seq", type=int, help="sequence length instead of the preset's")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="torch.set_num_threads and OPENBLAS_NUM_THREADS (default: number of cores)")
    p.add_argument("--omp-wait", choices=["passive", "unset", "env"], default="passive",
                   help="OMP_WAIT_POLICY for torch's OpenMP threads (see gpt_torch.py)")
    p.add_argument("--seed", type=int, default=1234)
    a = p.parse_args()
    if a.threads < 1 or a.repeats < 1 or a.warmup < 0:
        p.error("--threads and --repeats must be >= 1, --warmup >= 0")
    return a


def build(torch, cfg):
    nn, F = torch.nn, torch.nn.functional
    d, H, KV = cfg["d"], cfg["heads"], cfg["kv_heads"]
    hd = d // H

    class RMSNorm(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(d))

        def forward(self, x):
            return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + cfg["eps"]))

    def rotate_half(x):
        x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
        return torch.cat((-x2, x1), dim=-1)

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.q_proj = nn.Linear(d, H * hd, bias=cfg["qkv_bias"])
            self.k_proj = nn.Linear(d, KV * hd, bias=cfg["qkv_bias"])
            self.v_proj = nn.Linear(d, KV * hd, bias=cfg["qkv_bias"])
            self.o_proj = nn.Linear(H * hd, d, bias=False)

        def forward(self, x, cos, sin, mask):
            b, t, _ = x.shape
            q = self.q_proj(x).view(b, t, H, hd).transpose(1, 2)    # (b, H, t, hd)
            k = self.k_proj(x).view(b, t, KV, hd).transpose(1, 2)   # (b, KV, t, hd)
            v = self.v_proj(x).view(b, t, KV, hd).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            k = k.repeat_interleave(H // KV, dim=1)                 # repeat_kv: head h reads KV head h // (H / KV)
            v = v.repeat_interleave(H // KV, dim=1)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
            att = att.masked_fill(mask[:t, :t], float("-inf"))
            y = torch.softmax(att, dim=-1) @ v
            return self.o_proj(y.transpose(1, 2).reshape(b, t, H * hd))

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_layernorm = RMSNorm()
            self.self_attn = Attention()
            self.post_attention_layernorm = RMSNorm()
            self.gate_proj = nn.Linear(d, cfg["mlp"], bias=False)
            self.up_proj = nn.Linear(d, cfg["mlp"], bias=False)
            self.down_proj = nn.Linear(cfg["mlp"], d, bias=False)

        def forward(self, x, cos, sin, mask):
            x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
            n = self.post_attention_layernorm(x)
            return x + self.down_proj(F.silu(self.gate_proj(n)) * self.up_proj(n))

    class Llama(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed_tokens = nn.Embedding(cfg["vocab"], d)
            self.layers = nn.ModuleList(Layer() for _ in range(cfg["layers"]))
            self.norm = RMSNorm()
            inv_freq = 1.0 / (cfg["theta"] ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
            self.register_buffer("inv_freq", inv_freq, persistent=False)
            self.apply(self._init)

        @staticmethod
        def _init(m):
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)

        def forward(self, idx):
            t = idx.shape[1]
            freqs = torch.outer(torch.arange(t, dtype=torch.float32), self.inv_freq)
            emb = torch.cat((freqs, freqs), dim=-1)
            cos, sin = emb.cos(), emb.sin()                         # (t, hd), broadcast over (b, heads)
            mask = torch.ones(t, t, dtype=torch.bool).triu(1)       # True above the diagonal = masked
            x = self.embed_tokens(idx)
            for layer in self.layers:
                x = layer(x, cos, sin, mask)
            return F.linear(self.norm(x), self.embed_tokens.weight)  # tied LM head

    return Llama()




def main():
    args = parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))  # read at load time: before importing torch
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    if args.omp_wait == "passive":
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    elif args.omp_wait == "unset":
        os.environ.pop("OMP_WAIT_POLICY", None)
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cfg = CONFIGS[args.config]
    model = build(torch, cfg)
    params = sum(p.numel() for p in model.parameters())  # tied LM head: counted once
    b, t, vocab = args.batch or cfg["batch"], args.seq or cfg["seq"], cfg["vocab"]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}", file=sys.stderr)
    print(f"{args.config}: {cfg['layers']} layers, d {cfg['d']}, {cfg['heads']}/{cfg['kv_heads']} heads, MLP {cfg['mlp']}, "
          f"vocab {vocab}, batch {b} x {t}: {params:,} parameters", file=sys.stderr)
    if cfg["expected_params"] is not None and params != cfg["expected_params"]:
        sys.exit(f"llama_torch.py: parameter count {params:,} is not the checkpoint's {cfg['expected_params']:,}: model is wrong")

    gen = torch.Generator().manual_seed(args.seed)
    base = dict(config=args.config, impl="pytorch", params=params, batch=b, seq=t, threads=torch.get_num_threads(),
                omp_wait=os.environ.get("OMP_WAIT_POLICY", "unset").lower())

    if args.bench == "train":
        decay = [p for p in model.parameters() if p.dim() >= 2]
        no_decay = [p for p in model.parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                lr=3e-4, betas=(0.9, 0.95))
        model.train()
        losses = []

        def step():
            data = torch.randint(vocab, (b, t + 1), generator=gen)
            x, y = data[:, :-1], data[:, 1:]
            loss = F.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1))
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            losses.append(loss.item())

        seconds = median_time(step, args.warmup, args.repeats)
        print(f"train: first loss {losses[0]:.3f} (ln vocab = {math.log(vocab):.3f}), last {losses[-1]:.3f}", file=sys.stderr)
        emit(dict(bench="train", tokens_per_s=round(b * t / seconds, 1), ms_per_step=round(seconds * 1e3, 1),
                  repeats=args.repeats, trainable_params=params, **base))
        del opt

    model.eval()
    x = torch.randint(vocab, (b, t), generator=gen)
    with torch.no_grad():
        seconds = median_time(lambda: model(x), 1, args.repeats)
    emit(dict(bench="forward", tokens_per_s=round(b * t / seconds, 1), ms_per_step=round(seconds * 1e3, 1),
              repeats=args.repeats, **base))


if __name__ == "__main__":
    main()
