#!/usr/bin/env bash
# Our GEMM vs PyTorch (OpenBLAS) on the same machine, in the same run: FMA peak, then `rlhf bench gemm`, then the
# PyTorch peer, then a table per shape with the ratio ours/peer. Raw JSON lines go to benchmarks/results/.
# Usage: benchmarks/gemm-vs-peer.sh [--repeats N] [--threads T]   (defaults: 7 repeats, one thread per core)
set -euo pipefail
cd "$(dirname "$0")/.."

repeats=7
threads=$(nproc)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --repeats) repeats="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "gemm-vs-peer.sh: unknown argument '$1' (expected --repeats N, --threads T)" >&2; exit 2 ;;
  esac
done

source benchmarks/peer-setup.sh
out="benchmarks/results/gemm-vs-peer-$(date -u +%Y%m%dT%H%M%SZ).jsonl"

echo "FMA peak..." >&2
"${rlhf[@]}" bench peak --json --threads "$threads" | tee "$out"
peak=$("$py" -c 'import json,sys; print(json.loads(sys.stdin.readline())["gflops"])' < "$out")

echo "rlhf gemm..." >&2
"${rlhf[@]}" bench gemm --json --repeats "$repeats" --threads "$threads" --peak "$peak" | tee -a "$out"

echo "pytorch gemm..." >&2
"$py" benchmarks/peer/gemm_torch.py --repeats "$repeats" --threads "$threads" --peak "$peak" | tee -a "$out"

echo
echo "raw results: $out"
"$py" - "$out" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
peak = next(r for r in rows if r["bench"] == "peak")
gemm = {(r["impl"], r["shape"], r["variant"]): r for r in rows if r["bench"] == "gemm"}
print(f"FMA peak {peak['gflops']:.1f} GFLOP/s on {peak['cores']} threads ({peak['gflops_per_core']:.1f} per core, {peak['width']}-bit)")
print(f"{'M x K x N':<16}{'var':<5}{'ours GFLOP/s':>13}{'torch GFLOP/s':>15}{'ours/torch':>12}{'ours %peak':>12}{'torch %peak':>13}")
for (impl, shape, variant), ours in gemm.items():
    if impl != "rlhf":
        continue
    peer = gemm.get(("pytorch", shape, variant))
    ratio = f"{ours['gflops'] / peer['gflops']:.2f}" if peer else "-"
    print(f"{shape:<16}{variant:<5}{ours['gflops']:>13.1f}{(peer['gflops'] if peer else float('nan')):>15.1f}{ratio:>12}"
          f"{ours['pct_of_peak']:>11.1f}%{(peer['pct_of_peak'] if peer else float('nan')):>12.1f}%")
PY
