#!/usr/bin/python3
"""PyTorch peer for `rlhf bench gemm`: the same fp32 GEMM shapes and variants, timed the same way.

Run with Debian's interpreter (/usr/bin/python3, packages python3-torch python3-numpy libopenblas0-pthread), not a
pyenv/venv python. Prints one JSON object per line on stdout, in the same format as `rlhf bench gemm --json` plus
"impl":"pytorch"; prints the torch / BLAS configuration to stderr.

Shapes are M x K x N with variant NN (A @ B), NT (A @ B.t(), B stored N x K) or TN (A.t() @ B, A stored K x M); the
transposed operand is a view, exactly as autograd produces it in a backward pass, so torch/BLAS handles the layout.
Timing: warm-up (at least 2 runs and 0.2 s), then the median of N runs of torch.matmul(..., out=C).
"""
import argparse
import json
import os
import statistics
import sys
import time

STANDARD = ["1024x1024x1024:NN", "512x768x3072:NN", "512x3072x768:NT", "768x512x3072:TN", "2048x2048x2048:NN"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads and OPENBLAS_NUM_THREADS (default 2)")
    p.add_argument("--repeats", type=int, default=7, help="timed runs per shape; the median is reported (default 7)")
    p.add_argument("--peak", type=float, default=None, help="peak GFLOP/s (e.g. from `rlhf bench peak`) for pct_of_peak")
    p.add_argument("--shape", action="append", default=None, help="MxKxN[:VV], repeatable (default: the rlhf set)")
    a = p.parse_args()
    if a.threads < 1 or a.repeats < 1 or (a.peak is not None and not a.peak > 0):
        p.error("--threads and --repeats must be >= 1, --peak > 0")
    return a


def parse_shape(text):
    dims, _, variant = text.partition(":")
    variant = (variant or "NN").upper()
    m, k, n = (int(x) for x in dims.lower().split("x"))
    if variant not in ("NN", "NT", "TN", "TT") or min(m, k, n) < 1:
        raise ValueError(f"bad shape {text!r}: expected MxKxN[:NN|NT|TN|TT]")
    return m, k, n, variant


def loaded_blas():
    """The BLAS shared objects actually mapped into this process (torch.__config__ says only BLAS_INFO=generic on Debian)."""
    with open("/proc/self/maps") as maps:
        return sorted({line.split()[-1] for line in maps if "blas" in line.lower()})


def main():
    args = parse_args()
    # OpenBLAS reads its thread count at load time, so set it before torch (which loads libblas) is imported
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(1234)
    cases = [parse_shape(s) for s in (args.shape or STANDARD)]

    # touch BLAS once so its library is mapped, then report the configuration
    torch.ones(8, 8) @ torch.ones(8, 8)
    config = torch.__config__.show()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}", file=sys.stderr)
    for line in config.splitlines():
        if "CPU capability" in line or "BLAS" in line or "OpenMP" in line:
            # the build-settings line is long: keep just its BLAS/LAPACK fields
            fields = [f.strip() for f in line.split(",") if "BLAS" in f or "LAPACK" in f] if "Build settings" in line else [line.strip()]
            print("  " + ", ".join(fields), file=sys.stderr)
    for lib in loaded_blas():
        print(f"  loaded: {lib}", file=sys.stderr)

    for m, k, n, variant in cases:
        a = torch.rand(k, m).t() if variant[0] == "T" else torch.rand(m, k)  # op(A) is M x K either way
        b = torch.rand(n, k).t() if variant[1] == "T" else torch.rand(k, n)  # op(B) is K x N either way
        a.mul_(2).sub_(1)
        b.mul_(2).sub_(1)
        c = torch.empty(m, n)
        start, warm = time.perf_counter(), 0
        while warm < 2 or time.perf_counter() - start < 0.2:
            torch.matmul(a, b, out=c)
            warm += 1
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            torch.matmul(a, b, out=c)
            times.append(time.perf_counter() - t0)
        seconds = statistics.median(times)
        gflops = 2.0 * m * n * k / seconds / 1e9
        row = {"bench": "gemm", "impl": "pytorch", "shape": f"{m}x{k}x{n}", "variant": variant,
               "gflops": round(gflops, 2),
               "pct_of_peak": round(100 * gflops / args.peak, 1) if args.peak else None,
               "median_ms": round(seconds * 1e3, 3), "repeats": args.repeats,
               "kernel": "torch.matmul", "threads": torch.get_num_threads()}
        print(json.dumps(row, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
