"""Timing and reporting shared by the PyTorch peers (gpt_torch.py, llama_torch.py)."""
import json
import resource
import statistics
import time


def median_time(fn, warmup, repeats):
    """Median wall seconds of `repeats` calls of fn after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def emit(row):
    """Print one JSON result line with this process's peak resident set so far (peak_rss_mb)."""
    row["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB
    print(json.dumps(row, separators=(",", ":")), flush=True)
