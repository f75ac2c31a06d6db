#!/usr/bin/env bash
# Llama-family presets (SmolLM2-135M or Qwen2.5-0.5B shapes, random weights) trained at batch 4 x 256, ours vs PyTorch
# in the same run, alternating (ours, peer, ours, peer, ...) so both see the same machine load: per round one
# `rlhf bench train --preset P` (plus, when asked, one with --grad-checkpoint and one with --lora-r R) and one PyTorch
# peer (benchmarks/peer/llama_torch.py --config P, full training). Each process reports its own peak resident set.
# The table shows medians over rounds: tokens/s, the ratio to the peer, peak RSS.
# Usage: benchmarks/realsize-family-vs-peer.sh [--preset smollm2-135m|qwen2.5-0.5b] [--rounds N] [--repeats N]
#        [--warmup N] [--grad-checkpoint] [--lora-r R]        (defaults: smollm2-135m, 3 rounds, 3 steps, 2 warm-up)
set -euo pipefail
cd "$(dirname "$0")/.."

preset=smollm2-135m
rounds=3
repeats=3
warmup=2
checkpoint=0
lora=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --preset) preset="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --grad-checkpoint) checkpoint=1; shift ;;
    --lora-r) lora="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "realsize-family-vs-peer.sh: unknown argument '$1' (expected --preset P, --rounds N, --repeats N, --warmup N, --grad-checkpoint, --lora-r R)" >&2; exit 2 ;;
  esac
done
case "$preset" in
  smollm2-135m|qwen2.5-0.5b) ;;
  *) echo "realsize-family-vs-peer.sh: --preset must be smollm2-135m or qwen2.5-0.5b, not '$preset'" >&2; exit 2 ;;
esac
threads=$(nproc)

source benchmarks/peer-setup.sh
out="benchmarks/results/realsize-family-vs-peer-$preset-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
: > "$out"
ours=(bench train --preset "$preset" --repeats "$repeats" --warmup "$warmup" --train-only --json)

for ((r = 1; r <= rounds; r++)); do
  echo "round $r/$rounds: rlhf bench train --preset $preset..." >&2
  "${rlhf[@]}" "${ours[@]}" | grep '^{' | grep '"train"' | tee -a "$out"
  if (( checkpoint )); then
    echo "round $r/$rounds: rlhf bench train --preset $preset --grad-checkpoint..." >&2
    "${rlhf[@]}" "${ours[@]}" --grad-checkpoint | grep '^{' | grep '"train"' | tee -a "$out"
  fi
  if (( lora > 0 )); then
    echo "round $r/$rounds: rlhf bench train --preset $preset --lora-r $lora..." >&2
    "${rlhf[@]}" "${ours[@]}" --lora-r "$lora" | grep '^{' | grep '"train"' | tee -a "$out"
  fi
  echo "round $r/$rounds: pytorch peer, $preset..." >&2
  OPENBLAS_NUM_THREADS=$threads "$py" benchmarks/peer/llama_torch.py --bench train --config "$preset" \
    --repeats "$repeats" --warmup "$warmup" --threads "$threads" | grep '"train"' | tee -a "$out"
done

echo
echo "raw results: $out"
"$py" - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def pick(impl, ckpt, lora):
    return [r for r in rows if r["impl"] == impl and bool(r.get("grad_checkpoint")) == ckpt and bool(r.get("lora_r")) == lora]
peer = pick("pytorch", False, False)
if not peer:
    sys.exit("no peer figure")
p_tps = statistics.median(r["tokens_per_s"] for r in peer)
p_rss = statistics.median(r["peak_rss_mb"] for r in peer)
print(f"{'run':<28}{'tok/s':>8}{'ratio':>8}{'peak RSS MiB':>14}{'vs peer':>9}{'trainable':>14}")
print(f"{'pytorch':<28}{p_tps:>8.1f}{'':>8}{p_rss:>14.0f}{'':>9}{peer[0]['trainable_params']:>14,}")
for name, ckpt, lora in (("rlhf", False, False), ("rlhf --grad-checkpoint", True, False), ("rlhf --lora-r", False, True)):
    mine = pick("rlhf", ckpt, lora)
    if not mine:
        continue
    tps = statistics.median(r["tokens_per_s"] for r in mine)
    rss = statistics.median(r["peak_rss_mb"] for r in mine)
    print(f"{name:<28}{tps:>8.1f}{tps / p_tps:>8.2f}{rss:>14.0f}{rss / p_rss:>9.2f}{mine[0]['trainable_params']:>14,}")
    m = mine[-1]["memory"]
    print("  memory (MiB, last round): " + ", ".join(f"{k[:-3]} {v:.0f}" for k, v in m.items()))
PY
