#!/usr/bin/env bash
# Built-in GRPO demo: 2–3 digit addition with a verifiable reward ("#### <sum>" must equal the true sum).
#   1. tasks: 20,000 training problems and 200 held-out ones (distinct), all answers verified by recomputation;
#   2. tokenizer: BPE trained on the task text with the digits removed, so every digit stays one token (numbers are
#      never merged into multi-digit tokens, which makes arithmetic learnable for a tiny model);
#   3. pretrain a tiny GPT on bare equations "568 + 452 = 1020" (no chat template, no "####" line);
#   4. SFT on only 8 formatted examples "User: What is 568 + 452?\nAssistant: 568 + 452 = 1020. #### 1020" for a few steps;
#   5. GRPO against the final-line checker; held-out greedy exact match is logged to metrics.jsonl every few iterations.
# Usage: scripts/grpo-arithmetic.sh [run-dir]   (env: PRE_STEPS, SFT_STEPS, ITERATIONS, LAYERS, DIM override the sizes)
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-runs/grpo-arithmetic}
PRE_STEPS=${PRE_STEPS:-600}
SFT_STEPS=${SFT_STEPS:-6}
ITERATIONS=${ITERATIONS:-80}
LAYERS=${LAYERS:-2}
DIM=${DIM:-64}
HELDOUT=${HELDOUT:-200}
dotnet build src/Rlhf.Cli -c Release -v q -nologo > /dev/null
RLHF="nice -n 10 src/Rlhf.Cli/bin/Release/net10.0/rlhf"
mkdir -p "$RUN"

# 1. tasks (the same seed and settings give the same problems, so the three formats describe one split)
$RLHF tasks generate --kind addition --digits 2-3 --count 20000 --heldout-count "$HELDOUT" --seed 1 --out "$RUN/train.jsonl" --heldout "$RUN/heldout.jsonl"
$RLHF tasks generate --kind addition --digits 2-3 --count 20000 --seed 1 --format text --out "$RUN/corpus.txt"
$RLHF tasks generate --kind addition --digits 2-3 --count 8 --seed 1 --format sft --out "$RUN/sft.jsonl"

# 2. tokenizer on digit-free text of the chat format
jq -r '"User: \(.prompt)\nAssistant: \(.response)"' "$RUN/sft.jsonl" | sed 's/[0-9]//g' > "$RUN/tokenizer-corpus.txt"
[ -f "$RUN/tok/tokenizer.json" ] || $RLHF tokenizer train --data "$RUN/tokenizer-corpus.txt" --vocab-size 300 --out "$RUN/tok"

# 3. pretraining on bare equations, one per document
[ -d "$RUN/pretrain/checkpoint" ] || $RLHF pretrain --data "$RUN/corpus.txt" --tokenizer "$RUN/tok" --separator '\n' \
  --layers "$LAYERS" --heads 4 --dim "$DIM" --context 48 --batch 32 --seq-len 48 --steps "$PRE_STEPS" --lr 3e-3 --warmup 30 \
  --eval-interval 200 --eval-batches 4 --checkpoint-interval 200 --out "$RUN/pretrain"

# 4. SFT on a handful of formatted examples
[ -d "$RUN/sft/checkpoint" ] || $RLHF sft --data "$RUN/sft.jsonl" --init "$RUN/pretrain/checkpoint" --steps "$SFT_STEPS" --batch 8 --lr 1e-3 --warmup 0 \
  --val-fraction 0 --eval-batches 0 --out "$RUN/sft"

# 5. GRPO
if [ -d "$RUN/grpo/checkpoint" ]; then RESUME=(--resume); else RESUME=(--policy "$RUN/sft/checkpoint"); fi
$RLHF grpo "${RESUME[@]}" --prompts "$RUN/train.jsonl" --eval-prompts "$RUN/heldout.jsonl" --reward final-line \
  --group 8 --batch 16 --iterations "$ITERATIONS" --lr 5e-4 --min-lr 5e-4 --max-new-tokens 24 --eval-interval 5 --checkpoint-interval 10 \
  --out "$RUN/grpo"
jq -c 'select(.accuracy != null) | {iteration: .step, accuracy, reward}' "$RUN/grpo/metrics.jsonl"
