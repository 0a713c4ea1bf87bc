// Computes the reference token ids of each guard family's prompt ONCE, with an implementation independent of the
// Rust tokenizer that Parapet uses at run time (@lenml/tokenizers: a port of transformers.js), and writes them to
// guard-onnx's test resources (golden/token-ids.json), which are checked in.
//
// Reference = what the family's official code feeds the model: the rendered prompt text (golden/*.txt, copied
// verbatim from ../shared/design/templates/, which hold the templates' RENDERED output, not Jinja sources)
// tokenized as one string with special tokens matched and no post-processor, as
// tokenizer.apply_chat_template(..., tokenize=True) does; ShieldGemma's notebook calls tokenizer(prompt), which
// puts <bos> first. For each family the model's answers (from the templates' OUTPUT FORMAT sections, written here
// by hand, not taken from Parapet's probes) are tokenized after the prompt, and the ids past the prompt are kept.
//
// Run: scripts/golden-ids/generate.sh (installs the pinned package into target/, then runs this file).
import { TokenizerLoader } from "@lenml/tokenizers";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const [tokDir, goldenDir] = process.argv.slice(2);
if (!tokDir || !goldenDir) {
  console.error("usage: node generate.mjs TOKENIZERS_DIR GOLDEN_DIR");
  process.exit(2);
}

const LG3_CODES = Array.from({ length: 14 }, (_, i) => `S${i + 1}`);
const QWEN_CATEGORIES = ["Violent", "Non-violent Illegal Acts", "Sexual Content or Sexual Acts", "PII",
  "Suicide & Self-Harm", "Unethical Acts", "Politically Sensitive Topics", "Copyright Violation", "Jailbreak"];
const qwenAnswers = [
  "Safety: Safe\nCategories: None", "Safety: Unsafe", "Safety: Controversial", "Safety: Safe",
  ...QWEN_CATEGORIES.map((c) => `Safety: Unsafe\nCategories: ${c}`),
];
// Llama Guard 3: the model writes "\n\n" first, then safe / unsafe, then "\nS1,S10" (llama-guard-3.txt NOTE 3).
const llamaAnswers = ["\n\nsafe", "\n\nunsafe", ...LG3_CODES.map((c) => `\n\nunsafe\n${c}`)];
const CASES = [
  { file: "llama-guard-3-response-default.txt", tokenizer: "llama3_1", bos: "", answers: llamaAnswers },
  { file: "llama-guard-3-prompt-custom.txt", tokenizer: "llama3_1", bos: "", answers: llamaAnswers },
  { file: "qwen3guard-prompt.txt", tokenizer: "qwen3", bos: "", answers: qwenAnswers },
  { file: "qwen3guard-response.txt", tokenizer: "qwen3", bos: "",
    answers: [...qwenAnswers, "Safety: Safe\nCategories: None\nRefusal: Yes"] },
  { file: "shieldgemma-prompt-harassment.txt", tokenizer: "gemma3", bos: "<bos>", answers: ["Yes", "No"] },
  { file: "shieldgemma-response-dangerous.txt", tokenizer: "gemma3", bos: "<bos>", answers: ["Yes", "No"] },
];

function golden(file) {
  const s = fs.readFileSync(path.join(goldenDir, file), "utf8");
  const marker = "----8<----\n";
  return s.substring(s.indexOf(marker) + marker.length);
}

const tokenizers = new Map();
function load(name) {
  if (!tokenizers.has(name)) {
    const jsonPath = path.join(tokDir, name, "tokenizer.json");
    const bytes = fs.readFileSync(jsonPath);
    const tok = TokenizerLoader.fromPreTrained({
      tokenizerJSON: JSON.parse(bytes),
      tokenizerConfig: JSON.parse(fs.readFileSync(path.join(tokDir, name, "tokenizer_config.json"))),
    });
    const pkg = JSON.parse(fs.readFileSync(path.join(tokDir, name, "package.json")));
    tokenizers.set(name, { tok, sha256: createHash("sha256").update(bytes).digest("hex"),
      pkg: `${pkg.name}@${pkg.version}` });
  }
  return tokenizers.get(name);
}

const encode = (tok, text) => Array.from(tok.encode(text, { add_special_tokens: false }), Number);
const out = { generator: "scripts/golden-ids/generate.mjs with @lenml/tokenizers 3.7.2", cases: [] };
for (const c of CASES) {
  const { tok, sha256, pkg } = load(c.tokenizer);
  const text = c.bos + golden(c.file);
  const prompt = encode(tok, text);
  const answers = {};
  for (const a of c.answers) {
    const all = encode(tok, text + a);
    const samePrefix = prompt.every((id, i) => all[i] === id);
    if (!samePrefix) {
      throw new Error(`${c.file}: answer ${JSON.stringify(a)} changes the prompt's own tokens`);
    }
    answers[a] = all.slice(prompt.length);
  }
  out.cases.push({ file: c.file, tokenizer: c.tokenizer, package: pkg, tokenizerSha256: sha256, prompt, answers });
  console.log(`${c.file}: ${prompt.length} prompt tokens (${pkg})`);
}
const target = path.join(goldenDir, "token-ids.json");
fs.writeFileSync(target, JSON.stringify(out, null, 1).replace(/\n\s+(\d+,?)/g, " $1").replace(/\n\s+\]/g, "]") + "\n");
console.log(`wrote ${target}`);
