#!/usr/bin/env bash
# GPT-2 124M shapes (config G: 12 layers, d 768, vocab 50257) trained at batch 4 x 256, ours vs PyTorch in the same
# run, alternating (ours, peer, ours, peer, ...) so both see the same machine load: per round one `rlhf bench train
# --preset gpt2-124m` (and, with --grad-checkpoint, one more with activation checkpointing) and one PyTorch peer
# (benchmarks/peer/gpt_torch.py --config G). Each process reports its own peak resident set (peak_rss_mb).
# The table shows medians over rounds and the targets of issue 18: training >= 1.3x PyTorch tokens/s, peak RSS <= PyTorch's.
# Usage: benchmarks/realsize-vs-peer.sh [--rounds N] [--repeats N] [--grad-checkpoint]   (defaults: 3 rounds, 3 steps)
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
repeats=3
checkpoint=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --grad-checkpoint) checkpoint=1; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "realsize-vs-peer.sh: unknown argument '$1' (expected --rounds N, --repeats N, --grad-checkpoint)" >&2; exit 2 ;;
  esac
done
threads=$(nproc)

source benchmarks/peer-setup.sh
out="benchmarks/results/realsize-vs-peer-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
: > "$out"

for ((r = 1; r <= rounds; r++)); do
  echo "round $r/$rounds: rlhf bench train --preset gpt2-124m..." >&2
  "${rlhf[@]}" bench train --preset gpt2-124m --repeats "$repeats" --json | grep '^{' | grep '"train"' | tee -a "$out"
  if (( checkpoint )); then
    echo "round $r/$rounds: rlhf bench train --preset gpt2-124m --grad-checkpoint..." >&2
    "${rlhf[@]}" bench train --preset gpt2-124m --grad-checkpoint --repeats "$repeats" --json | grep '^{' | grep '"train"' | tee -a "$out"
  fi
  echo "round $r/$rounds: pytorch peer, config G..." >&2
  OPENBLAS_NUM_THREADS=$threads "$py" benchmarks/peer/gpt_torch.py --bench train --config G \
    --repeats "$repeats" --threads "$threads" | grep '"train"' | tee -a "$out"
done

echo
echo "raw results: $out"
"$py" - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def pick(impl, ckpt):
    return [r for r in rows if r["impl"] == impl and bool(r.get("grad_checkpoint")) == ckpt]
peer = pick("pytorch", False)
if not peer:
    sys.exit("no peer figure")
p_tps = statistics.median(r["tokens_per_s"] for r in peer)
p_rss = statistics.median(r["peak_rss_mb"] for r in peer)
print(f"{'run':<28}{'tok/s':>8}{'ratio':>8}{'peak RSS MiB':>14}{'vs peer':>9}")
print(f"{'pytorch':<28}{p_tps:>8.1f}{'':>8}{p_rss:>14.0f}")
for name, ckpt in (("rlhf", False), ("rlhf --grad-checkpoint", True)):
    mine = pick("rlhf", ckpt)
    if not mine:
        continue
    tps = statistics.median(r["tokens_per_s"] for r in mine)
    rss = statistics.median(r["peak_rss_mb"] for r in mine)
    print(f"{name:<28}{tps:>8.1f}{tps / p_tps:>8.2f}{rss:>14.0f}{rss / p_rss:>9.2f}")
    m = mine[-1]["memory"]
    print("  memory (MiB, last round): " + ", ".join(f"{k[:-3]} {v:.0f}" for k, v in m.items()))
mine = pick("rlhf", False)
if mine:
    ratio = statistics.median(r["tokens_per_s"] for r in mine) / p_tps
    rss = statistics.median(r["peak_rss_mb"] for r in mine)
    print(f"target training >= 1.30x PyTorch tokens/s: {ratio:.2f}x {'PASS' if ratio >= 1.3 else 'FAIL'}")
    print(f"target peak RSS <= PyTorch's: {rss:.0f} vs {p_rss:.0f} MiB {'PASS' if rss <= p_rss else 'FAIL'}")
PY
