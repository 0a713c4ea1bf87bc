"""MiniLM-L6 (BERT: 6 layers, hidden 384, 12 heads, GELU-erf, LayerNorm eps 1e-12) rebuilt in plain torch from
the fp32 ONNX initializers of all-minilm-l6-v2.onnx (langchain4j jar), plus the Parapet heads."""
import math
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

H, NH, FF, NL = 384, 12, 1536, 6
N_OUT = 15  # unsafe + S1..S14


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q = nn.Linear(H, H); self.k = nn.Linear(H, H); self.v = nn.Linear(H, H)
        self.o = nn.Linear(H, H); self.ln1 = nn.LayerNorm(H, eps=1e-12)
        self.i = nn.Linear(H, FF); self.out = nn.Linear(FF, H); self.ln2 = nn.LayerNorm(H, eps=1e-12)

    def forward(self, x, add_mask):
        B, T, _ = x.shape
        def heads(t):
            return t.view(B, T, NH, H // NH).transpose(1, 2)
        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(H // NH) + add_mask
        p = torch.softmax(s, dim=-1)
        c = torch.matmul(p, v).transpose(1, 2).reshape(B, T, H)
        x = self.ln1(x + self.o(c))
        return self.ln2(x + self.out(F.gelu(self.i(x))))


class ParapetEncoder(nn.Module):
    def __init__(self, n_layers=NL):
        super().__init__()
        self.word = nn.Embedding(30522, H); self.pos = nn.Embedding(512, H); self.typ = nn.Embedding(2, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.layers = nn.ModuleList([Layer() for _ in range(n_layers)])
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(H, N_OUT)

    @staticmethod
    def add_mask(attention_mask, dtype=torch.float32):
        # same as the original graph: (1 - mask) * float32.min (finite; avoids NaN for all-masked rows)
        m = attention_mask[:, None, None, :].to(dtype)
        return (1.0 - m) * torch.finfo(dtype).min

    def embed(self, input_ids, token_type_ids):
        T = input_ids.shape[1]
        pos = torch.arange(T, device=input_ids.device)[None, :]
        return self.ln(self.word(input_ids) + self.typ(token_type_ids) + self.pos(pos))

    def run_layers(self, h, attention_mask, start, end):
        am = self.add_mask(attention_mask, h.dtype)
        for l in self.layers[start:end]:
            h = l(h, am)
        return h

    @staticmethod
    def mean_pool(h, attention_mask):
        m = attention_mask.to(h.dtype).unsqueeze(-1)
        return (h * m).sum(1) / m.sum(1).clamp(min=1e-9)

    def heads_from_hidden(self, h, attention_mask, train=False):
        pooled = self.mean_pool(h, attention_mask)
        logits = self.head(self.drop(pooled) if train else pooled)
        return logits, pooled

    def forward(self, input_ids, attention_mask, token_type_ids):
        h = self.embed(input_ids, token_type_ids)
        h = self.run_layers(h, attention_mask, 0, NL)
        logits, pooled = self.heads_from_hidden(h, attention_mask)
        emb = pooled / pooled.norm(dim=-1, keepdim=True).clamp(min=1e-12)
        return logits, emb


def load_from_onnx(path):
    """Any BERT graph of this width (MiniLM-L6, or the 12-layer bge-small / e5-small): the layer count is read
    from the initializer names."""
    m = onnx.load(path)
    init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
    n_layers = 1 + max(int(k.split(".")[2]) for k in init if k.startswith("encoder.layer."))
    enc = ParapetEncoder(n_layers)
    sd = {}
    sd["word.weight"] = init["embeddings.word_embeddings.weight"]
    sd["pos.weight"] = init["embeddings.position_embeddings.weight"]
    sd["typ.weight"] = init["embeddings.token_type_embeddings.weight"]
    sd["ln.weight"] = init["embeddings.LayerNorm.weight"]; sd["ln.bias"] = init["embeddings.LayerNorm.bias"]
    sub = {"attention/self/query": "q", "attention/self/key": "k", "attention/self/value": "v",
           "attention/output/dense": "o", "intermediate/dense": "i", "output/dense": "out"}
    for n in m.graph.node:
        if n.op_type != "MatMul" or n.input[1] not in init:
            continue
        name = n.output[0]  # /encoder/layer.0/attention/self/query/MatMul_output_0
        li = int(name.split("/encoder/layer.")[1].split("/")[0])
        rest = name.split(f"/encoder/layer.{li}/")[1].rsplit("/MatMul", 1)[0]
        sd[f"layers.{li}.{sub[rest]}.weight"] = init[n.input[1]].t().contiguous()
    for li in range(n_layers):
        p = f"encoder.layer.{li}."
        sd[f"layers.{li}.q.bias"] = init[p + "attention.self.query.bias"]
        sd[f"layers.{li}.k.bias"] = init[p + "attention.self.key.bias"]
        sd[f"layers.{li}.v.bias"] = init[p + "attention.self.value.bias"]
        sd[f"layers.{li}.o.bias"] = init[p + "attention.output.dense.bias"]
        sd[f"layers.{li}.ln1.weight"] = init[p + "attention.output.LayerNorm.weight"]
        sd[f"layers.{li}.ln1.bias"] = init[p + "attention.output.LayerNorm.bias"]
        sd[f"layers.{li}.i.bias"] = init[p + "intermediate.dense.bias"]
        sd[f"layers.{li}.out.bias"] = init[p + "output.dense.bias"]
        sd[f"layers.{li}.ln2.weight"] = init[p + "output.LayerNorm.weight"]
        sd[f"layers.{li}.ln2.bias"] = init[p + "output.LayerNorm.bias"]
    missing, unexpected = enc.load_state_dict(sd, strict=False)
    assert set(missing) == {"head.weight", "head.bias"}, missing
    assert not unexpected, unexpected
    return enc


def load_from_parapet_onnx(path):
    """A shipped Parapet model (export.py's int8 graph, e.g. models/default/model.onnx = v3) back into torch, so a
    later version can start from it: int8 projections dequantized (W_q * per-column scale), fp16 projections cast
    back, the int8 word embedding dequantized per row, the 15-logit head as is. Activations run in fp32 here
    (the shipped graph quantizes them statically), so logits differ from ONNX Runtime's by the activation rounding."""
    m = onnx.load(path)
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    n_layers = 1 + max(int(k.split(".")[2]) for k in init if k.startswith("m.layers."))
    enc = ParapetEncoder(n_layers)
    sd = {k[2:]: torch.from_numpy(v.astype("float32").copy()) for k, v in init.items() if k.startswith("m.")}
    sd["word.weight"] = torch.from_numpy((init["word_emb_q_E"].astype("float32") * init["word_emb_q_es"]).copy())
    for li in range(n_layers):
        for name in ["q", "k", "v", "o", "i", "out"]:
            base = f"m_layers.{li}_{name}_MatMul_output_0"
            if base + "_q_W" in init:
                W = init[base + "_q_W"].astype("float32") * init[base + "_q_ws"][None, :]
            else:
                W = init[base + "_h_W16"].astype("float32")
            sd[f"layers.{li}.{name}.weight"] = torch.from_numpy(W.T.copy())
    enc.load_state_dict(sd, strict=True)
    return enc
