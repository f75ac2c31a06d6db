#!/usr/bin/python3
"""Independent reference forward for Llama / Qwen2 / Qwen3 checkpoints, written with plain torch after
transformers' modeling_llama.py, modeling_qwen2.py, modeling_qwen3.py and modeling_rope_utils.py
(_compute_default_rope_parameters, _compute_llama3_parameters). No transformers package needed.

usage: llama_reference.py <checkpoint dir> '<ids as JSON: [[...], ...]>'
prints the logits as JSON: [batch][time][vocab]. Reads config.json and model.safetensors (or the shards of
model.safetensors.index.json) in F32, BF16 or F16; computes in float32.
"""
import json
import math
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = bytearray(data[begin:end])
        dtype = DTYPES[info["dtype"]]
        t = torch.frombuffer(raw, dtype=torch.uint8).view(dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(info["shape"]).to(torch.float32)
    return tensors


def read_weights(directory):
    single = os.path.join(directory, "model.safetensors")
    if os.path.exists(single):
        return read_safetensors(single)
    with open(os.path.join(directory, "model.safetensors.index.json")) as f:
        weight_map = json.load(f)["weight_map"]
    tensors = {}
    for file in sorted(set(weight_map.values())):
        tensors.update(read_safetensors(os.path.join(directory, file)))
    return tensors


def inv_freq(config, head_dim):
    base = config.get("rope_theta", 10000.0)
    freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    scaling = config.get("rope_scaling")
    if scaling and scaling.get("rope_type", scaling.get("type")) == "llama3":
        factor = scaling["factor"]
        low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / freq
        scaled = torch.where(wavelen > low_wavelen, freq / factor, freq)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        freq = torch.where(medium, smoothed, scaled)
    return freq


def rms_norm(x, w, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(variance + eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def linear(x, w, b=None):
    return torch.nn.functional.linear(x, w, b)


def forward(config, w, ids):
    kind = config["model_type"]
    C = config["hidden_size"]
    H = config["num_attention_heads"]
    KV = config.get("num_key_value_heads") or H
    hd = config.get("head_dim") or C // H
    eps = config.get("rms_norm_eps", 1e-6)
    B, T = ids.shape
    x = w["model.embed_tokens.weight"][ids]

    positions = torch.arange(T).float()[None, :].expand(B, T)
    freqs = positions[..., None] * inv_freq(config, hd)[None, None, :]  # (B, T, hd/2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]                    # (B, 1, T, hd)
    causal = torch.full((T, T), float("-inf")).triu(1)

    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(h, w[p + "self_attn.q_proj.weight"], w.get(p + "self_attn.q_proj.bias"))
        k = linear(h, w[p + "self_attn.k_proj.weight"], w.get(p + "self_attn.k_proj.bias"))
        v = linear(h, w[p + "self_attn.v_proj.weight"], w.get(p + "self_attn.v_proj.bias"))
        q = q.view(B, T, H, hd)
        k = k.view(B, T, KV, hd)
        if kind == "qwen3":
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q, k = q.transpose(1, 2), k.transpose(1, 2)                       # (B, heads, T, hd)
        v = v.view(B, T, KV, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // KV, dim=1)                           # repeat_kv
        v = v.repeat_interleave(H // KV, dim=1)
        scores = q @ k.transpose(2, 3) / math.sqrt(hd) + causal
        attn = torch.softmax(scores, dim=-1) @ v                           # (B, H, T, hd)
        attn = attn.transpose(1, 2).reshape(B, T, H * hd)
        x = x + linear(attn, w[p + "self_attn.o_proj.weight"], w.get(p + "self_attn.o_proj.bias"))
        m = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        mlp = torch.nn.functional.silu(linear(m, w[p + "mlp.gate_proj.weight"])) * linear(m, w[p + "mlp.up_proj.weight"])
        x = x + linear(mlp, w[p + "mlp.down_proj.weight"])
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if config.get("tie_word_embeddings", False) else w["lm_head.weight"]
    return x @ head.T


def main():
    directory, ids_json = sys.argv[1], sys.argv[2]
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    ids = torch.tensor(json.loads(ids_json), dtype=torch.int64)
    with torch.no_grad():
        logits = forward(config, read_weights(directory), ids)
    json.dump(logits.tolist(), sys.stdout)


if __name__ == "__main__":
    main()
