#!/usr/bin/env bash
# GPT training and KV-cache generation, ours vs PyTorch on the same machine, in the same run: per config,
# `rlhf bench train` and `rlhf bench generate`, then the PyTorch peer (benchmarks/peer/gpt_torch.py), then a table with
# the ratio ours/peer against the targets (train >= 1.2x, generate >= 2x). Raw JSON lines go to benchmarks/results/.
# Usage: benchmarks/train-vs-peer.sh [--config A|B|both] [--repeats N]   (defaults: both configs, 5 repeats)
set -euo pipefail
cd "$(dirname "$0")/.."

configs=(A B)
repeats=5
repeats_given=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --config)
      case "${2:-}" in
        A|B) configs=("$2") ;;
        both) configs=(A B) ;;
        *) echo "train-vs-peer.sh: --config takes A, B or both, not '${2:-}'" >&2; exit 2 ;;
      esac
      shift 2 ;;
    --repeats) repeats="$2"; repeats_given=1; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "train-vs-peer.sh: unknown argument '$1' (expected --config A|B|both, --repeats N)" >&2; exit 2 ;;
  esac
done
threads=$(nproc)

source benchmarks/peer-setup.sh
out="benchmarks/results/train-vs-peer-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
: > "$out"

# Runs one of our bench verbs; keeps its JSON lines, and if the verb fails (or does not exist yet) says so and goes on.
ours() {
  local verb=$1 config=$2 log
  local args=(bench "$verb" --config "$config" --json)
  (( repeats_given )) && args+=(--repeats "$repeats")
  log=$(mktemp)
  echo "rlhf bench $verb, config $config..." >&2
  if "${rlhf[@]}" "${args[@]}" > "$log"; then
    grep '^{' "$log" | tee -a "$out" || echo "  rlhf bench $verb printed no JSON line" >&2
  else
    echo "  'rlhf ${args[*]}' failed (exit $?): no 'ours' figure for $verb/$config; running the peer anyway" >&2
    grep '^{' "$log" >> "$out" || true
  fi
  rm -f "$log"
}

for config in "${configs[@]}"; do
  ours train "$config"
  ours generate "$config"
  echo "pytorch peer, config $config (train, forward, generate)..." >&2
  OPENBLAS_NUM_THREADS=$threads "$py" benchmarks/peer/gpt_torch.py --bench all --config "$config" \
    --repeats "$repeats" --threads "$threads" | tee -a "$out"
done

echo
echo "raw results: $out"
"$py" - "$out" "${configs[@]}" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = {(r.get("impl"), r.get("config"), r.get("bench")): r for r in rows}
targets = {"train": 1.2, "generate": 2.0}  # ours/torch must reach this; forward is shown for information only
print(f"{'config':<8}{'bench':<10}{'ours tok/s':>12}{'torch tok/s':>13}{'ours/torch':>12}{'target':>8}  result")
for config in sys.argv[2:]:
    for bench in ("train", "forward", "generate"):
        ours, peer = by.get(("rlhf", config, bench)), by.get(("pytorch", config, bench))
        if ours is None and peer is None:
            continue
        target = targets.get(bench)
        o = f"{ours['tokens_per_s']:.1f}" if ours else "-"
        p = f"{peer['tokens_per_s']:.1f}" if peer else "-"
        ratio = ours["tokens_per_s"] / peer["tokens_per_s"] if ours and peer else None
        if ratio is None:
            result = "no rlhf figure" if ours is None else "no peer figure"
        elif target is None:
            result = "(no target)"
        else:
            result = "PASS" if ratio >= target else "FAIL"
        print(f"{config:<8}{bench:<10}{o:>12}{p:>13}{(f'{ratio:.2f}' if ratio else '-'):>12}"
              f"{(f'{target:.1f}x' if target else '-'):>8}  {result}")
gen = [r for r in rows if r.get("impl") == "pytorch" and r.get("bench") == "generate"]
for r in gen:
    print(f"peer generate {r['config']}: prefill {r['prefill_ms']:.0f} ms + decode {r['decode_ms']:.0f} ms "
          f"({r['decode_tokens_per_s']:.0f} tok/s decode only); tok/s above includes the prefill")
PY
