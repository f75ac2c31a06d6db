#!/usr/bin/env bash
# Data parallel on one machine: the same pretraining job as `mpiexec -n 2` (one thread per rank) and as one process with
# 2 threads, in the same run. Prints each run's wall time per step and throughput, the ratio MPI / threads, and the
# seconds per step the MPI run spent in the gradient exchange (metrics.jsonl `allreduce_s`, rank 0's).
# Usage: benchmarks/mpi-vs-threads.sh [--steps N] [--config A|B] [--batch B]   (defaults: 12 steps, config B, batch 8)
# Needs MPICH (apt-get install mpich) and a Release build (dotnet build src/Rlhf.Cli -c Release).
set -euo pipefail
cd "$(dirname "$0")/.."

steps=12; config=B; batch=8
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "mpi-vs-threads.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
rlhf=(dotnet src/Rlhf.Cli/bin/Release/net10.0/rlhf.dll)
[[ -f src/Rlhf.Cli/bin/Release/net10.0/rlhf.dll ]] || { echo "build first: dotnet build src/Rlhf.Cli -c Release" >&2; exit 1; }
command -v mpiexec >/dev/null || { echo "mpiexec not found: apt-get install mpich" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${rlhf[@]}" tasks generate --kind addition --digits 2-4 --count 20000 --format text --out "$work/corpus.txt" >/dev/null
"${rlhf[@]}" tokenizer train --data "$work/corpus.txt" --vocab-size 512 --out "$work/tok" >/dev/null
job=(pretrain --data "$work/corpus.txt" --tokenizer "$work/tok" --config "$config" --batch "$batch" --steps "$steps"
     --eval-batches 0 --checkpoint-interval 0 --seed 1)

run() { # name, command...
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@" --out "$work/$name" > "$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; exit 1; }
  end=$(date +%s.%N)
  python3 - "$work/$name/metrics.jsonl" "$name" "$start" "$end" "$steps" <<'PY'
import json, sys, statistics
path, name, start, end, steps = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
rows = [json.loads(l) for l in open(path) if l.strip()]
rows = [r for r in rows if r.get("step", 0) > 2]  # the first steps JIT-compile
tps = statistics.median(r["tokens_per_s"] for r in rows)
ar = [r["allreduce_s"] for r in rows if "allreduce_s" in r]
print(json.dumps({"run": name, "wall_s": round(end - start, 2), "median_tokens_per_s": round(tps, 1),
                  "median_allreduce_s": round(statistics.median(ar), 4) if ar else None, "steps": steps}))
PY
}
echo "job: rlhf ${job[*]}" >&2
threads=$(run threads env RLHF_THREADS=2 "${rlhf[@]}" "${job[@]}")
mpi=$(run mpi mpiexec -n 2 "${rlhf[@]}" "${job[@]}")
echo "$threads"; echo "$mpi"
python3 - "$threads" "$mpi" <<'PY'
import json, sys
t, m = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"throughput mpiexec -n 2 (1 thread each) / 1 process x 2 threads: {m['median_tokens_per_s'] / t['median_tokens_per_s']:.2f}x "
      f"(median tokens/s {m['median_tokens_per_s']} vs {t['median_tokens_per_s']}); wall {m['wall_s']} s vs {t['wall_s']} s")
print(f"gradient allreduce per step (rank 0, median): {m['median_allreduce_s']} s")
PY
