#!/usr/bin/env bash
# GRPO on 2–3 digit addition with a verifiable reward ("#### <sum>" must equal the true sum); docs/results/grpo-arithmetic.md.
#   1. tasks: 20,000 training problems and 200 distinct held-out ones, every answer verified by recomputation;
#   2. tokenizer: BPE trained on the task text with the digits removed (--format digitless), so every digit stays one
#      token (numbers are never merged into multi-digit tokens, which keeps arithmetic learnable for a tiny model);
#   3. pretrain a tiny GPT (3 layers, d = 128) on the TRAINING problems worked column by column in the chat format —
#      "User: What is 478 + 56?\nAssistant: 8+6=14, carry 1: 4. 7+5+1=13, carry 1: 34. 4+0+1=5: 534." — WITHOUT the
#      "#### 534" final line the checker reads (the base model that can add but does not know the answer format);
#   4. SFT on a handful of formatted examples (8) for a few steps (20): the final line is only partly learnt, so
#      held-out exact match starts low (10% in the recorded run);
#   5. GRPO against the final-line checker, held-out greedy exact match every 10 iterations; then the same run continues
#      (--resume) to MORE_ITERATIONS to check that accuracy keeps rising and does not collapse. Writes $RUN/curve.csv.
# Usage: scripts/grpo-arithmetic.sh [run-dir]     (about 20 minutes on 2 quiet cores)
# Env: DIGITS (2-3), COUNT, HELDOUT, PRE_STEPS, SFT_EXAMPLES, SFT_STEPS, ITERATIONS, MORE_ITERATIONS, LAYERS, DIM, LR,
# TEMPERATURE, BETA, MAX_NEW, CONTEXT; RLHF_BIN=<path to a built rlhf> skips the build (e.g. a copy, so that rebuilding
# the repo meanwhile cannot touch a running experiment).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-runs/grpo-arithmetic}
DIGITS=${DIGITS:-2-3}
COUNT=${COUNT:-20000}
HELDOUT=${HELDOUT:-200}
PRE_STEPS=${PRE_STEPS:-4000}
SFT_EXAMPLES=${SFT_EXAMPLES:-8}
SFT_STEPS=${SFT_STEPS:-20}
ITERATIONS=${ITERATIONS:-150}
MORE_ITERATIONS=${MORE_ITERATIONS:-300}
LAYERS=${LAYERS:-3}
DIM=${DIM:-128}
CONTEXT=${CONTEXT:-104}
LR=${LR:-2e-4}
TEMPERATURE=${TEMPERATURE:-0.5}
BETA=${BETA:-0}
MAX_NEW=${MAX_NEW:-80}
if [ -z "${RLHF_BIN:-}" ]; then dotnet build src/Rlhf.Cli -c Release -v q -nologo > /dev/null; RLHF_BIN=src/Rlhf.Cli/bin/Release/net10.0/rlhf; fi
RLHF="nice -n 10 $RLHF_BIN"
TASKS=(tasks generate --kind addition --digits "$DIGITS" --seed 1)
mkdir -p "$RUN"

# 1. tasks (the same seed and settings give the same problems, so the formats below describe one split)
$RLHF "${TASKS[@]}" --count "$COUNT" --heldout-count "$HELDOUT" --out "$RUN/train.jsonl" --heldout "$RUN/heldout.jsonl"
$RLHF "${TASKS[@]}" --count "$COUNT" --heldout-count "$HELDOUT" --format chat --worked --out "$RUN/corpus.txt" --heldout "$RUN/heldout-worked.txt"
$RLHF "${TASKS[@]}" --count "$SFT_EXAMPLES" --format sft --worked --out "$RUN/sft.jsonl"
$RLHF "${TASKS[@]}" --count 500 --format digitless --worked --out "$RUN/tokenizer-corpus.txt"

# 2. tokenizer on digit-free text
[ -f "$RUN/tok/tokenizer.json" ] || $RLHF tokenizer train --data "$RUN/tokenizer-corpus.txt" --vocab-size 300 --out "$RUN/tok"

# 3. pretraining on the worked training problems, one per document (held-out problems are not in the corpus)
[ -d "$RUN/pretrain/checkpoint" ] || $RLHF pretrain --data "$RUN/corpus.txt" --tokenizer "$RUN/tok" --separator '\n\n' \
  --layers "$LAYERS" --heads 4 --dim "$DIM" --context "$CONTEXT" --batch 16 --seq-len "$CONTEXT" --steps "$PRE_STEPS" --lr 3e-3 --warmup 100 \
  --val-fraction 0 --eval-batches 0 --checkpoint-interval 0 --out "$RUN/pretrain"

# 4. SFT on a handful of formatted examples, a few steps only
[ -d "$RUN/sft/checkpoint" ] || $RLHF sft --data "$RUN/sft.jsonl" --init "$RUN/pretrain/checkpoint" --steps "$SFT_STEPS" --batch 8 --lr 1e-3 \
  --warmup 0 --val-fraction 0 --eval-batches 0 --out "$RUN/sft"

# 5. GRPO, then the same run continued to MORE_ITERATIONS
GRPO=(grpo --prompts "$RUN/train.jsonl" --eval-prompts "$RUN/heldout.jsonl" --reward final-line --group 8 --batch 16 --lr "$LR" --min-lr "$LR" --warmup 5
  --temperature "$TEMPERATURE" --beta "$BETA" --max-new-tokens "$MAX_NEW" --eval-interval 10 --checkpoint-interval 10 --out "$RUN/grpo")
if [ -d "$RUN/grpo/checkpoint" ]; then $RLHF "${GRPO[@]}" --resume --iterations "$ITERATIONS"; else $RLHF "${GRPO[@]}" --policy "$RUN/sft/checkpoint" --iterations "$ITERATIONS"; fi
$RLHF "${GRPO[@]}" --resume --iterations "$MORE_ITERATIONS"
# the curve: held-out accuracy (and that iteration's sample reward, format rate, KL, length) per evaluation
{ echo "iteration,accuracy,reward,format_rate,kl,response_length"
  jq -r 'select(.accuracy != null) | [.step, .accuracy, (.reward // ""), (.format_rate // ""), (.kl // ""), (.response_length // "")] | @csv' "$RUN/grpo/metrics.jsonl"; } > "$RUN/curve.csv"
cat "$RUN/curve.csv"
