#!/usr/bin/env bash
# Built-in GRPO demo: addition with a verifiable reward ("#### <sum>" must equal the true sum).
#   1. tasks: training problems and distinct held-out ones, every answer verified by recomputation;
#   2. tokenizer: BPE trained on the task text with the digits removed, so every digit stays one token (numbers are
#      never merged into multi-digit tokens, which keeps arithmetic learnable for a tiny model);
#   3. pretrain a tiny GPT (2 layers, d=64) on "User: What is 7 + 5?\nAssistant: 7 + 5 = 12" — the chat format WITHOUT
#      the "#### 12" final line: the "base model that can already add" stage. With CORPUS=all the corpus holds the
#      held-out sums too (knowledge elicitation, as in DeepSeek-R1-Zero: SFT and GRPO never see a held-out prompt);
#      with CORPUS=train only the training ones (the model must generalise); CORPUS_FORMAT=text|qa give bare
#      equations / question + equation instead (both failed to transfer to the chat format in our runs);
#   4. SFT on only 8 formatted examples "7 + 5 = 12. #### 12" for 30 steps: the final line is half learnt, so held-out
#      exact match starts low (15% in the recorded run);
#   5. GRPO against the final-line checker, held-out greedy exact match every 5 iterations; then the same run continues
#      (--resume) to MORE_ITERATIONS to check that accuracy does not collapse. Writes $RUN/curve.csv.
# Usage: scripts/grpo-arithmetic.sh [run-dir]     (about 10 minutes on 2 cores when the machine is quiet)
# Env (defaults = the recorded run, docs/results/grpo-arithmetic.md): DIGITS (1; the issue's target 2-3 is out of
# reach of this CPU budget), COUNT, HELDOUT, CORPUS, CORPUS_FORMAT, PRE_STEPS, SFT_STEPS, ITERATIONS, MORE_ITERATIONS,
# LAYERS, DIM, LR, BETA.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-runs/grpo-arithmetic}
DIGITS=${DIGITS:-1}
COUNT=${COUNT:-80}
HELDOUT=${HELDOUT:-20}
CORPUS=${CORPUS:-all}
CORPUS_FORMAT=${CORPUS_FORMAT:-chat}
PRE_STEPS=${PRE_STEPS:-1500}
SFT_STEPS=${SFT_STEPS:-30}
ITERATIONS=${ITERATIONS:-80}
MORE_ITERATIONS=${MORE_ITERATIONS:-300}
LAYERS=${LAYERS:-2}
DIM=${DIM:-64}
LR=${LR:-5e-4}
BETA=${BETA:-0}
MAX_NEW=${MAX_NEW:-16}
dotnet build src/Rlhf.Cli -c Release -v q -nologo > /dev/null
RLHF="nice -n 10 src/Rlhf.Cli/bin/Release/net10.0/rlhf"
TASKS=(tasks generate --kind addition --digits "$DIGITS" --seed 1)
mkdir -p "$RUN"

# 1. tasks (the same seed and settings give the same problems, so the formats below describe one split)
$RLHF "${TASKS[@]}" --count "$COUNT" --heldout-count "$HELDOUT" --out "$RUN/train.jsonl" --heldout "$RUN/heldout.jsonl"
$RLHF "${TASKS[@]}" --count 8 --format sft --out "$RUN/sft.jsonl"
if [ "$CORPUS" = all ]; then
  # ten passes in different orders (seeds 1..10), so the model cannot learn the file's order instead of the sums;
  # with 1-digit operands every seed yields all 100 problems, held-out ones included
  for s in $(seq 1 10); do
    $RLHF tasks generate --kind addition --digits "$DIGITS" --seed "$s" --count "$((COUNT + HELDOUT))" --format "$CORPUS_FORMAT" --out "$RUN/corpus-$s.txt"
  done
  cat "$RUN"/corpus-*.txt > "$RUN/corpus.txt"
else
  $RLHF "${TASKS[@]}" --count "$COUNT" --format "$CORPUS_FORMAT" --out "$RUN/corpus.txt"
fi

# 2. tokenizer on digit-free text of the chat format and the corpus
{ sed 's/[0-9]//g' "$RUN/corpus-1.txt" 2>/dev/null || true; jq -r '"User: \(.prompt)\nAssistant: \(.response)"' "$RUN/sft.jsonl" | sed 's/[0-9]//g'; } > "$RUN/tokenizer-corpus.txt"
[ -f "$RUN/tok/tokenizer.json" ] || $RLHF tokenizer train --data "$RUN/tokenizer-corpus.txt" --vocab-size 300 --out "$RUN/tok"

# 3. pretraining on bare equations, one per document (no validation split: it would hold out the corpus tail)
SEPARATOR='\n'; [ "$CORPUS_FORMAT" = chat ] && SEPARATOR='\n\n'
[ -d "$RUN/pretrain/checkpoint" ] || $RLHF pretrain --data "$RUN/corpus.txt" --tokenizer "$RUN/tok" --separator "$SEPARATOR" \
  --layers "$LAYERS" --heads 4 --dim "$DIM" --context 48 --batch 16 --seq-len 48 --steps "$PRE_STEPS" --lr 3e-3 --warmup 30 \
  --val-fraction 0 --eval-batches 0 --checkpoint-interval 0 --out "$RUN/pretrain"

# 4. SFT on a handful of formatted examples, a few steps only
[ -d "$RUN/sft/checkpoint" ] || $RLHF sft --data "$RUN/sft.jsonl" --init "$RUN/pretrain/checkpoint" --steps "$SFT_STEPS" --batch 8 --lr 1e-3 \
  --warmup 0 --val-fraction 0 --eval-batches 0 --out "$RUN/sft"

# 5. GRPO, then the same run continued to MORE_ITERATIONS
GRPO=(grpo --prompts "$RUN/train.jsonl" --eval-prompts "$RUN/heldout.jsonl" --reward final-line --group 8 --batch 16 --lr "$LR" --min-lr "$LR" --warmup 10
  --beta "$BETA" --max-new-tokens "$MAX_NEW" --eval-interval 5 --checkpoint-interval 10 --out "$RUN/grpo")
if [ -d "$RUN/grpo/checkpoint" ]; then $RLHF "${GRPO[@]}" --resume --iterations "$ITERATIONS"; else $RLHF "${GRPO[@]}" --policy "$RUN/sft/checkpoint" --iterations "$ITERATIONS"; fi
$RLHF "${GRPO[@]}" --resume --iterations "$MORE_ITERATIONS"
# the curve: held-out accuracy (and that iteration's sample reward, KL, length) per evaluation
{ echo "iteration,accuracy,reward,kl,response_length"
  jq -r 'select(.accuracy != null) | [.step, .accuracy, (.reward // ""), (.kl // ""), (.response_length // "")] | @csv' "$RUN/grpo/metrics.jsonl"; } > "$RUN/curve.csv"
cat "$RUN/curve.csv"
