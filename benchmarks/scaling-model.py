#!/usr/bin/env python3
"""Modelled efficiency of synchronous data-parallel training (docs/scaling.md): per step each rank computes its shard
(fixed per-rank batch: weak scaling), then the gradients are summed with a ring allreduce that moves
2*(N-1)/N * P * 4 bytes in and out of every rank, in 2*(N-1) latency-bound rounds per bucket:

    t_comm = 2*(N-1)/N * P*4 / bandwidth + 2*(N-1) * buckets * latency
    efficiency = t_compute / (t_compute + t_comm)        (no overlap of communication with compute)

t_compute = 6 * P * tokens_per_rank / flops_per_rank (forward + backward; attention and the optimizer step left out).
Nothing here is measured: the throughput per rank is an input (--gflops, default 400: a 16-core AVX2/AVX-512 node
at a realistic GEMM efficiency); the bandwidths are the links' nominal rates at 90 %. Usage:
    /usr/bin/python3 benchmarks/scaling-model.py [--gflops 400] [--tokens 4096] [--latency-us 30] [--markdown]
"""
import argparse

MODELS = {"GPT-2 124M": 124_439_808, "0.5B (Qwen2.5-0.5B)": 494_032_768}
LINKS_GBIT = {"1 GbE": 1, "10 GbE": 10, "25 GbE": 25}
RANKS = [2, 8, 32]
BUCKET_BYTES = 16 << 20  # GradientAllReduce.BucketFloats * 4


def step_times(params, ranks, gbit, gflops, tokens, latency_s):
    compute = 6 * params * tokens / (gflops * 1e9)
    volume = 2 * (ranks - 1) / ranks * params * 4
    buckets = -(-params * 4 // BUCKET_BYTES)
    comm = volume / (gbit * 1e9 / 8 * 0.9) + 2 * (ranks - 1) * buckets * latency_s
    return compute, comm


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gflops", type=float, default=400, help="sustained training GFLOP/s of one rank (one machine)")
    ap.add_argument("--tokens", type=int, default=4096, help="tokens per rank per step (e.g. batch 4 x 1024)")
    ap.add_argument("--latency-us", type=float, default=30, help="one-way latency of one message round, microseconds")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    a = ap.parse_args()
    rows = []
    for model, params in MODELS.items():
        for link, gbit in LINKS_GBIT.items():
            for n in RANKS:
                compute, comm = step_times(params, n, gbit, a.gflops, a.tokens, a.latency_us * 1e-6)
                rows.append((model, link, n, 2 * (n - 1) / n * params * 4 / 2**20, compute, comm, compute / (compute + comm)))
    if a.markdown:
        print(f"| model | link | ranks | MiB per rank per step | compute s | allreduce s | efficiency | speed-up vs 1 rank |")
        print("|---|---|---|---|---|---|---|---|")
        for model, link, n, mib, compute, comm, eff in rows:
            print(f"| {model} | {link} | {n} | {mib:,.0f} | {compute:.2f} | {comm:.2f} | {eff:.0%} | {eff * n:.1f}x |")
    else:
        for model, link, n, mib, compute, comm, eff in rows:
            print(f"{model:22} {link:7} N={n:<3} {mib:8,.0f} MiB  compute {compute:6.2f} s  allreduce {comm:6.2f} s  efficiency {eff:5.0%}  speed-up {eff * n:5.1f}x")


if __name__ == "__main__":
    main()
