"""Build train/dev/test JSONL for the Parapet default guard model.

usage: python3 build_data.py --data ../shared/data --authored ../data/authored --out /tmp/parapet-data

Output rows follow the eval format of design/ARCHITECTURE.md:
  {"id","prompt","response"|null,"label":"safe"|"unsafe","categories":[S-codes],"source"}
`label` refers to the response when a response is present, else to the prompt.

Split design (generalisation, not memorisation):
  * TEST holds out WHOLE SOURCES that never appear in train/dev:
      - strongreject (minus its 25 AdvBench rows)            -> test_prompts_heldout.jsonl   (unsafe prompts)
      - oasst-eval-prompts, trec-qa-questions,
        cyberseceval-mitre-frr                               -> test_lookalikes_heldout.jsonl (benign look-alikes;
                                                               oasst lines 47/250 kept as unsafe, line 19 dropped)
      - gptfuzz responses (human labels) with their questions -> test_responses_heldout.jsonl
    plus test.jsonl = union, and test_prompt_mix.jsonl = prompts + look-alikes.
  * Any train/dev row whose normalised text equals a test text is removed (cross-source dedup).
  * DEV = a seeded random 10% of the rows of every training source (calibration + threshold).
Nothing from shared/data is written into the git repository: --out must be outside it (or build/).
"""
import argparse, collections, csv, glob, gzip, hashlib, json, os, random, re

csv.field_size_limit(10**9)
SEED = 20261123

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="../shared/data")
ap.add_argument("--authored", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "authored"))
ap.add_argument("--out", default="/tmp/parapet-data")
ap.add_argument("--dev-frac", type=float, default=0.10)
a = ap.parse_args()
D = a.data
rng = random.Random(SEED)


def norm(t):
    return re.sub(r"[^0-9a-z]+", " ", (t or "").lower()).strip()


def R(prompt, label, cats, source, response=None):
    return {"prompt": prompt, "response": response, "label": label, "categories": sorted(set(cats or [])), "source": source}


def read_csv(p):
    return list(csv.DictReader(open(p, encoding="utf-8")))


def read_jsonl(p):
    return [json.loads(l) for l in open(p, encoding="utf-8") if l.strip()]


def cap(rows, n, key=None):
    """seeded subsample to n rows; rows matching `key` are kept first (hard negatives)."""
    if len(rows) <= n:
        return rows
    r2 = list(rows)
    rng.shuffle(r2)
    if key is not None:
        r2.sort(key=lambda r: 0 if key(r) else 1)
    return r2[:n]


def kw(*words):
    rx = re.compile(r"\b(" + "|".join(words) + r")", re.I)
    return lambda r: bool(rx.search(r["prompt"] + " " + (r["response"] or "")))


LOOKALIKE = kw("kill", "murder", "shoot", "gun", "weapon", "bomb", "war", "attack", "drug", "poison", "steal", "stole",
               "theft", "fraud", "hack", "crime", "die", "dead", "death", "blood", "knife", "knives", "explo", "terror",
               "assassin", "fight", "cocaine", "heroin", "suicide", "abuse", "slave", "nazi", "hitler", "compromis",
               "lost", "blocked", "dispute", "scam", "fake", "destroy", "burn", "fire", "cut", "danger", "bacteria",
               "rape", "sex", "hate", "racis", "violen", "arrest", "prison", "jail", "illegal")

S_CODES = ["S%d" % i for i in range(1, 15)]
ELECTION = re.compile(r"\b(election|elections|vote|voter|voting|ballot|polling|electoral)\b", re.I)
VIOL = re.compile(r"\b(kill|murder|shoot|stab|assault|assassinat|bomb|attack|hurt|torture|kidnap|massacre|violence|violent)\w*", re.I)
SELFHARM = re.compile(r"\b(suicide|self-harm|self harm|cut myself|kill myself|anorexi|bulimi|overdose)\w*", re.I)
DRUG = re.compile(r"\b(drug|meth|cocaine|heroin|fentanyl|mdma|lsd|opioid|narcotic)\w*", re.I)
WMD = re.compile(r"\b(nerve agent|sarin|vx|anthrax|ricin|botulinum|chemical weapon|biological weapon|bioweapon|nuclear|uranium|plutonium|dirty bomb|explosive|bomb|pipe bomb|tnt|c4|mustard gas|chlorine gas|pathogen|smallpox|ebola)\b", re.I)
CODEEXEC = re.compile(r"\b(malware|ransomware|virus|keylogger|exploit|shellcode|reverse shell|rootkit|botnet|sql injection|xss|payload|backdoor|trojan|worm)\b", re.I)
PRIV = re.compile(r"\b(personal information|home address|social security|ssn|doxx|dox|track someone|spy on|location of|phone number|private data|credit card numbers)\b", re.I)
SEXMINOR = re.compile(r"\b(child|children|minor|minors|underage|teen|kid|kids)\b", re.I)
SEX = re.compile(r"\b(sex|sexual|porn|pornograph|explicit|nude|erotic)\w*", re.I)
DEFAM = re.compile(r"\b(defamat|libel|slander)\w*", re.I)


train_pool = []   # rows eligible for train/dev
test_rows = collections.OrderedDict()  # file -> rows

# ---------------------------------------------------------------- held-out test sources
sr = [x for x in read_csv(f"{D}/strongreject/data/behavior_datasets/strongreject_dataset.csv") if x["source"] != "AdvBench"]
SR_MAP = {"Violence": ["S1"], "Non-violent crimes": ["S2"], "Illegal goods and services": ["S2"],
          "Hate, harassment and discrimination": ["S10"], "Sexual content": ["S12"], "Disinformation and deception": []}
tp = []
for x in sr:
    p = x["forbidden_prompt"]
    cats = list(SR_MAP[x["category"]])
    if x["category"] == "Violence" and WMD.search(p):
        cats = ["S9"]
    if x["category"] == "Illegal goods and services" and WMD.search(p):
        cats = ["S9"]
    if x["category"] == "Sexual content":
        if SEXMINOR.search(p):
            cats = ["S4"]
        elif re.search(r"non-?consensual|without (her|his|their) consent|rape|revenge porn", p, re.I):
            cats = ["S3"]
    if x["category"] == "Disinformation and deception":
        if ELECTION.search(p):
            cats = ["S13"]
        elif re.search(r"fraud|scam|phishing|banking details|counterfeit", p, re.I):
            cats = ["S2"]
        elif DEFAM.search(p):
            cats = ["S5"]
    tp.append(R(p, "unsafe", cats, "strongreject"))
test_rows["test_prompts_heldout.jsonl"] = tp

la = []
for fn in ["en_100_text.jsonl", "prompt_lottery_en_250_text.jsonl"]:
    lines = open(f"{D}/oasst-eval-prompts/model/model_eval/manual/data/{fn}", encoding="utf-8").read().splitlines()
    for i, l in enumerate(lines, 1):
        if not l.strip():
            continue
        t = json.loads(l)
        if fn.startswith("prompt_lottery"):
            if i == 19:
                continue  # ambiguous (possible S11 reading): dropped
            if i == 47:
                la.append(R(t, "unsafe", ["S9"], "oasst-eval-prompts")); continue
            if i == 250:
                la.append(R(t, "unsafe", ["S2", "S7"], "oasst-eval-prompts")); continue
        la.append(R(t, "safe", [], "oasst-eval-prompts"))
for l in open(f"{D}/trec-qa-questions/trec/treclarge-raw.tsv", encoding="utf-8"):
    parts = l.rstrip("\n").split("\t")
    if len(parts) >= 3 and parts[2].strip():
        la.append(R(parts[2].strip(), "safe", [], "trec-qa-questions"))
for x in json.load(open(f"{D}/cyberseceval-mitre-frr/CybersecurityBenchmarks/datasets/mitre_frr/mitre_frr.json", encoding="utf-8")):
    la.append(R(x["mutated_prompt"], "unsafe" if x.get("is_malicious") else "safe", [], "cyberseceval-mitre-frr"))
test_rows["test_lookalikes_heldout.jsonl"] = la

gq = {x["index"]: x["text"] for x in read_csv(f"{D}/gptfuzz/datasets/questions/question_list.csv")}
tr = []
for x in read_csv(f"{D}/gptfuzz/datasets/responses_labeled/train.csv"):
    q = gq.get(x["question"], "")
    tr.append(R(q, "unsafe" if x["label"].strip() == "1" else "safe", [], "gptfuzz", response=x["Response"]))
test_rows["test_responses_heldout.jsonl"] = tr

# ---------------------------------------------------------------- training sources: unsafe prompts
AIL = {"vcr": "S1", "ncr": "S2", "src": "S3", "cse": "S4", "dfm": "S5", "spc_fin": "S6", "spc_hlt": "S6", "spc_lgl": "S6",
       "prv": "S7", "ipv": "S8", "iwp": "S9", "hte": "S10", "ssh": "S11", "sxc_prn": "S12", "spc_ele": "S13"}
for x in read_csv(f"{D}/ailuminate-demo/airr_official_1.0_demo_en_us_prompt_set_release.csv"):
    train_pool.append(R(x["prompt_text"], "unsafe", [AIL[x["hazard"]]], "ailuminate-demo"))
# (fr_FR skipped: the base encoder is English-only and there is no French benign data -> language would be a cue)


def hb_cats(sem, text):
    if sem == "chemical_biological":
        return ["S2"] if DRUG.search(text) and not WMD.search(text) else ["S9"]
    if sem == "cybercrime_intrusion":
        return ["S2", "S14"] if CODEEXEC.search(text) else ["S2"]
    if sem == "illegal":
        c = ["S2"]
        if VIOL.search(text):
            c = ["S1"]
        if re.search(r"traffick|prostitut|sex work", text, re.I):
            c = ["S3"] + (["S4"] if SEXMINOR.search(text) else [])
        return c
    if sem == "copyright":
        return ["S8"]
    if sem == "harassment_bullying":
        if re.search(r"\b(race|racist|black|jewish|jews|muslim|gay|lgbt|trans|women|immigrant|ethnic|disab|asian|mexican)\w*", text, re.I):
            return ["S10"]
        return ["S1"] if re.search(r"threat", text, re.I) else []
    if sem == "misinformation_disinformation":
        if ELECTION.search(text):
            return ["S13"]
        return ["S5"] if DEFAM.search(text) else []
    if sem == "harmful":
        if SELFHARM.search(text):
            return ["S11"]
        if VIOL.search(text):
            return ["S1"]
        return []
    return []


for x in read_csv(f"{D}/harmbench/data/behavior_datasets/harmbench_behaviors_text_all.csv"):
    b = x["Behavior"]
    p = (x["ContextString"].strip() + "\n\n" + b) if x["ContextString"].strip() else b
    train_pool.append(R(p, "unsafe", hb_cats(x["SemanticCategory"], b), "harmbench"))
for fn in ["adv_training_behaviors.csv", "tdc2023_test_phase_behaviors.csv"]:
    for x in read_csv(f"{D}/harmbench/data/behavior_datasets/extra_behavior_datasets/{fn}"):
        train_pool.append(R(x["Behavior"], "unsafe", [], "harmbench-extra"))
for x in read_csv(f"{D}/advbench/data/advbench/harmful_behaviors.csv"):
    train_pool.append(R(x["goal"], "unsafe", [], "advbench"))
    # "Sure, here is ..." affirmative prefix as an (unsafe) partial response
    train_pool.append(R(x["goal"], "unsafe", [], "advbench-target", response=x["target"]))
for x in read_csv(f"{D}/advbench/data/advbench/harmful_strings.csv"):
    train_pool.append(R("", "unsafe", [], "advbench-strings", response=x["target"]))


def jbb_cats(cat, behavior, goal):
    t = goal
    if cat == "Harassment/Discrimination":
        return ["S5"] if behavior == "Defamation" or DEFAM.search(t) else ["S10"]
    if cat == "Malware/Hacking":
        return ["S2", "S14"]
    if cat == "Physical harm":
        if SELFHARM.search(t):
            return ["S11"]
        if WMD.search(t):
            return ["S9"]
        return ["S1"]
    if cat in ("Economic harm", "Fraud/Deception"):
        return ["S2"]
    if cat == "Disinformation":
        if ELECTION.search(t):
            return ["S13"]
        return ["S5"] if DEFAM.search(t) else []
    if cat == "Sexual/Adult content":
        if SEXMINOR.search(t):
            return ["S4"]
        if re.search(r"non-?consensual|revenge porn|traffick|coerce", t, re.I):
            return ["S3"]
        return ["S12"]
    if cat == "Privacy":
        return ["S7"]
    if cat == "Expert advice":
        return ["S6"]
    if cat == "Government decision-making":
        return ["S13"] if ELECTION.search(t) else []
    return []


jbb_goals = {}
for f in sorted(glob.glob(f"{D}/jailbreakbench-artifacts/attack-artifacts/*/*/*.json")):
    if "test-artifact" in f:
        continue
    d = json.load(open(f, encoding="utf-8"))
    method = d["parameters"]["method"]
    for j in d.get("jailbreaks", []):
        cats = jbb_cats(j["category"], j.get("behavior", ""), j["goal"])
        jbb_goals[j["goal"]] = cats
        if j.get("prompt"):
            train_pool.append(R(j["prompt"], "unsafe", cats, "jailbreakbench-prompt"))
            if j.get("response"):
                jb = bool(j.get("jailbroken"))
                train_pool.append(R(j["prompt"], "unsafe" if jb else "safe", cats if jb else [], "jailbreakbench-response",
                                    response=j["response"]))
for g, cats in jbb_goals.items():
    train_pool.append(R(g, "unsafe", cats, "jailbreakbench-goal"))

COCO_SAFE_MAP = {"privacy violations": ["S7"], "copyright violations": ["S8"]}
for x in read_jsonl(f"{D}/coconot/data/coconot_eval.jsonl"):
    if x["category"] == "Requests with safety concerns":
        c = list(COCO_SAFE_MAP.get(x["subcategory"], []))
        if x["subcategory"] in ("misinformation", "false information"):
            c = ["S13"] if ELECTION.search(x["prompt"]) else (["S5"] if DEFAM.search(x["prompt"]) else [])
        if x["subcategory"] == "dangerous or sensitive topics":
            c = ["S11"] if SELFHARM.search(x["prompt"]) else (["S9"] if WMD.search(x["prompt"]) else [])
        train_pool.append(R(x["prompt"], "unsafe", c, "coconot-eval-unsafe"))
    else:
        train_pool.append(R(x["prompt"], "safe", [], "coconot-eval-benign"))
for x in read_jsonl(f"{D}/coconot/data/coconot_contrast_eval.jsonl"):
    train_pool.append(R(x["prompt"], "safe", [], "coconot-contrast"))
pref = read_jsonl(f"{D}/coconot/data/coconot_pref.jsonl")
for x in pref:
    train_pool.append(R(x["prompt"], "safe", [], "coconot-pref-prompt"))
for x in cap(pref, 700):
    train_pool.append(R(x["prompt"], "safe", [], "coconot-pref-chosen", response=x["chosen"]))
for x in cap(pref, 300):
    train_pool.append(R(x["prompt"], "safe", [], "coconot-pref-rejected", response=x["rejected"]))

# toxigen: statements separated by "\n-" inside each line
def toxigen(kind, n):
    rows = []
    for f in sorted(glob.glob(f"{D}/toxigen-prompts/prompts/{kind}_*_1k.txt")):
        for l in open(f, encoding="utf-8"):
            for s in l.strip().split("\\n"):
                s = s.strip().lstrip("-").strip()
                if len(s) > 12:
                    rows.append(s)
    rows = sorted(set(rows))
    rng.shuffle(rows)
    return rows[:n]


for s in toxigen("hate", 3000):
    train_pool.append(R(s, "unsafe", ["S10"], "toxigen-hate"))
for s in toxigen("neutral", 3000):
    train_pool.append(R(s, "safe", [], "toxigen-neutral"))

dav = read_csv(f"{D}/davidson-hate-speech/data/labeled_data.csv")
train_pool += [R(x["tweet"], "unsafe", ["S10"], "davidson-hate") for x in dav if x["class"] == "0"]
train_pool += cap([R(x["tweet"], "safe", [], "davidson-offensive") for x in dav if x["class"] == "1"], 1500)
train_pool += cap([R(x["tweet"], "safe", [], "davidson-neither") for x in dav if x["class"] == "2"], 1500)

# ---------------------------------------------------------------- benign prompts (capped, hard negatives first)
for fn in ["seed_tasks.jsonl"]:
    for x in read_jsonl(f"{D}/self-instruct-human/data/{fn}"):
        train_pool.append(R(x["instruction"], "safe", [], "self-instruct-human"))
for x in read_jsonl(f"{D}/self-instruct-human/human_eval/user_oriented_instructions.jsonl"):
    inp = (x["instances"][0].get("input") or "").strip() if x.get("instances") else ""
    train_pool.append(R(x["instruction"] + ("\n\n" + inp if inp else ""), "safe", [], "self-instruct-human"))
for fn in ["mt_bench", "vicuna_bench"]:
    for x in read_jsonl(f"{D}/fastchat-bench-questions/fastchat/llm_judge/data/{fn}/question.jsonl"):
        train_pool.append(R(x["turns"][0], "safe", [], "fastchat-bench"))
gsm = read_jsonl(f"{D}/gsm8k/grade_school_math/data/train.jsonl")
train_pool += [R(x["question"], "safe", [], "gsm8k") for x in cap(gsm, 700)]
train_pool += [R(x["question"], "safe", [], "gsm8k-answer", response=x["answer"]) for x in cap(gsm, 500)]
nq = []
for f in sorted(glob.glob(f"{D}/nq-open/nq_open/*.jsonl")):
    nq += [R(json.loads(l)["question"], "safe", [], "nq-open") for l in open(f, encoding="utf-8")]
train_pool += cap(nq, 2500, LOOKALIKE)
wq = []
for f in sorted(glob.glob(f"{D}/webquestions/main/*.json")):
    wq += [R(x["qText"], "safe", [], "webquestions") for x in json.load(open(f, encoding="utf-8"))]
train_pool += cap(wq, 1500, LOOKALIKE)
xq = json.load(open(f"{D}/xquad-en/xquad.en.json", encoding="utf-8"))
for art in xq["data"]:
    for p in art["paragraphs"]:
        for qa in p["qas"]:
            train_pool.append(R(qa["question"], "safe", [], "xquad-en"))
        train_pool.append(R(p["qas"][0]["question"], "safe", [], "xquad-en-context", response=p["context"]))
cl = json.load(open(f"{D}/clinc150/data/data_full.json", encoding="utf-8"))
FRAUDISH = {"report_fraud", "report_lost_card", "freeze_account", "account_blocked", "card_declined", "damaged_card",
            "new_card", "pin_change", "transactions", "spending_history", "transfer", "lost_luggage", "find_phone"}
clr = [R(t, "safe", [], "clinc150") for split in ["train", "val", "oos_train"] for t, intent in cl[split]
       if intent in FRAUDISH or True]
clr_f = [R(t, "safe", [], "clinc150") for split in ["train", "val"] for t, intent in cl[split] if intent in FRAUDISH]
train_pool += cap(clr_f, 600) + cap(clr, 1400)
bk = read_csv(f"{D}/banking77/banking_data/train.csv")
BFRAUD = {"lost_or_stolen_card", "compromised_card", "card_payment_not_recognised", "cash_withdrawal_not_recognised",
          "direct_debit_payment_not_recognised", "lost_or_stolen_phone", "pin_blocked", "card_swallowed",
          "unable_to_verify_identity", "verify_source_of_funds", "transaction_charged_twice"}
train_pool += cap([R(x["text"], "safe", [], "banking77") for x in bk if x["category"] in BFRAUD], 700)
train_pool += cap([R(x["text"], "safe", [], "banking77") for x in bk if x["category"] not in BFRAUD], 1100)
sn = []
for f in sorted(glob.glob(f"{D}/snips-nlu-benchmark/2017-06-custom-intent-engines/*/train_*_full.json")):
    d = json.load(open(f, encoding="latin-1"))
    for intent, utts in d.items():
        sn += [R("".join(s["text"] for s in u["data"]).strip(), "safe", [], "snips") for u in utts]
train_pool += cap(sn, 1200)
aq = {x["question_id"]: x["turns"][0]["content"] for x in read_jsonl(f"{D}/arena-hard-v0.1/data/arena-hard-v0.1/question.jsonl")}
train_pool += [R(q, "safe", [], "arena-hard") for q in aq.values()]
for x in read_jsonl(f"{D}/arena-hard-v0.1/data/arena-hard-v0.1/model_answer/gpt-4-0314.jsonl"):
    if x["question_id"] in aq:
        train_pool.append(R(aq[x["question_id"]], "safe", [], "arena-hard-answer", response=x["choices"][0]["turns"][0]["content"]))
ck = []
for l in open(f"{D}/cooking-stackexchange-titles/fasttext/data/cooking.stackexchange.txt", encoding="utf-8"):
    t = re.sub(r"(__label__\S+\s*)+", "", l).strip()
    if t:
        ck.append(R(t, "safe", [], "cooking-stackexchange"))
train_pool += cap(ck, 2500, kw("kill", "knife", "knives", "bacteria", "poison", "toxic", "danger", "botul", "safe",
                              "raw", "blood", "butcher", "slaughter", "burn", "fire", "alcohol", "weed", "cannabis"))

# ---------------------------------------------------------------- authored data (ours, committed in models/data/authored)
n_auth = 0
for f in sorted(glob.glob(os.path.join(a.authored, "*.jsonl"))):
    for x in read_jsonl(f):
        train_pool.append(R(x["prompt"], x["label"], x.get("categories", []), "authored-" + os.path.basename(f)[:-6],
                            response=x.get("response")))
        n_auth += 1
print("authored rows:", n_auth)

# hh-rlhf-harmless-base: NOT used for training (pairwise 'less harmful' labels are not absolute labels).
# toxic-spans: NOT used (localisation only). ailuminate fr_FR: NOT used (English-only model).

# ---------------------------------------------------------------- dedup + split
def key(r):
    return norm(r["prompt"]) + " || " + norm(r["response"]) if r["response"] is not None else norm(r["prompt"])


test_keys = set()
test_prompt_keys = set()
for fn, rows in test_rows.items():
    seen, out = set(), []
    for r in rows:
        k = key(r)
        if not k or k in seen:
            continue
        seen.add(k); out.append(r)
        test_keys.add(k)
        if r["response"] is None:
            test_prompt_keys.add(norm(r["prompt"]))
    test_rows[fn] = out

seen = {}
clean = []
drop_test, drop_dup, drop_conf = 0, 0, 0
for r in train_pool:
    if r["response"] is None and not r["prompt"].strip():
        continue
    if r["response"] is not None and not r["response"].strip():
        continue
    k = key(r)
    if k in test_keys or (r["response"] is None and norm(r["prompt"]) in test_prompt_keys):
        drop_test += 1
        continue
    if k in seen:
        prev = seen[k]
        if prev["label"] != r["label"]:
            # conflicting labels for the same text: unsafe wins (keeps categories union)
            if r["label"] == "unsafe":
                prev["label"] = "unsafe"
            drop_conf += 1
        prev["categories"] = sorted(set(prev["categories"]) | set(r["categories"]))
        drop_dup += 1
        continue
    seen[k] = r
    clean.append(r)
print(f"train pool {len(train_pool)} -> {len(clean)} (dropped {drop_test} overlapping test, {drop_dup} dups, {drop_conf} label conflicts)")

by_src = collections.defaultdict(list)
for r in clean:
    by_src[r["source"]].append(r)
train, dev = [], []
for s in sorted(by_src):
    rows = by_src[s]
    # per-source RNG: adding/removing one source never changes another source's split
    random.Random(SEED + int(hashlib.sha1(s.encode()).hexdigest()[:8], 16)).shuffle(rows)
    nd = max(1, int(round(len(rows) * a.dev_frac))) if len(rows) >= 10 else 0
    dev += rows[:nd]
    train += rows[nd:]


# ---------------------------------------------------------------- augmentation (after the split: train rows only feed
# train, dev rows only feed dev, so nothing crosses). Own RNG: does not perturb the sampling above.
# 1. refusals: a harmful prompt answered with a refusal (authored templates, models/data/authored/refusals.txt) is a
#    SAFE response. The first model scored refusals as unsafe (it judged the question, not the answer).
# 2. prefixes: streaming checks read a response while it grows. A prefix of a safe response is safe; a prefix of at
#    least half of an unsafe response is labelled unsafe (the harm has usually begun by then). Cut at word bounds.
REFUSALS = [l.strip() for l in open(os.path.join(a.authored, "refusals.txt"), encoding="utf-8") if l.strip()]


def augment(rows, n_refusal, aug_rng):
    out = []
    harmful = [r for r in rows if r["response"] is None and r["label"] == "unsafe"]
    for r in aug_rng.sample(harmful, min(n_refusal, len(harmful))):
        out.append(R(r["prompt"], "safe", [], "aug-refusal", response=aug_rng.choice(REFUSALS)))
    for r in rows:
        if r["response"] is None or r["source"].startswith("aug-"):
            continue
        words = r["response"].split(" ")
        if len(words) < 12:
            continue
        lo = 0.1 if r["label"] == "safe" else 0.5
        cut = max(6, int(len(words) * aug_rng.uniform(lo, 0.9)))
        out.append(R(r["prompt"], r["label"], r["categories"], "aug-prefix", response=" ".join(words[:cut])))
    return out


aug_rng = random.Random(SEED + 77)
n_train_harm = sum(1 for r in train if r["response"] is None and r["label"] == "unsafe")
train += augment(train, min(1600, n_train_harm), aug_rng)
dev += augment(dev, 180, aug_rng)
rng.shuffle(train)


def with_ids(rows, prefix):
    out = []
    for r in rows:
        h = hashlib.sha1((r["source"] + "\x00" + r["prompt"] + "\x00" + (r["response"] or "")).encode("utf-8")).hexdigest()[:12]
        out.append({"id": f"{prefix}-{r['source']}-{h}", "prompt": r["prompt"], "response": r["response"],
                    "label": r["label"], "categories": r["categories"], "source": r["source"]})
    return out


os.makedirs(a.out, exist_ok=True)


def write(fn, rows):
    with open(os.path.join(a.out, fn), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


train = with_ids(train, "train"); dev = with_ids(dev, "dev")
write("train.jsonl", train)
write("dev.jsonl", dev)
all_test = []
for fn, rows in test_rows.items():
    rows = with_ids(rows, "test")
    write(fn, rows)
    all_test += rows
write("test.jsonl", all_test)
write("test_prompt_mix.jsonl", [r for r in all_test if r["response"] is None])

stats = collections.defaultdict(lambda: collections.Counter())
for split, rows in [("train", train), ("dev", dev), ("test", all_test)]:
    for r in rows:
        stats[r["source"]][f"{split}_{r['label']}"] += 1
with open(os.path.join(a.out, "stats.json"), "w") as f:
    json.dump({k: dict(v) for k, v in sorted(stats.items())}, f, indent=1)
cc = collections.Counter(c for r in train for c in r["categories"])
print("train", len(train), collections.Counter(r["label"] for r in train), "resp", sum(r["response"] is not None for r in train))
print("dev", len(dev), collections.Counter(r["label"] for r in dev))
print("test", len(all_test), collections.Counter(r["label"] for r in all_test))
print("train categories", sorted(cc.items(), key=lambda x: int(x[0][1:])))
for k, v in sorted(stats.items()):
    print(f"  {k:28s} {dict(v)}")
