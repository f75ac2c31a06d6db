#!/usr/bin/env python3
"""A tiny external reward program for `rlhf ppo --reward "cmd:python3 examples/external-reward/score_cmd.py"`.

rlhf starts the program once and keeps it running: for each batch it writes one request line (the JSON object
described in score_server.py) to the program's standard input and reads one reply line, a JSON list of numbers, from
its standard output. Flush after each line. Diagnostics go to standard error (rlhf quotes the last line on failure).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from score_server import score_batch  # noqa: E402  (the same toy reward as the server)

for line in sys.stdin:
    if not line.strip():
        continue
    try:
        print(json.dumps(score_batch(json.loads(line))), flush=True)
    except (ValueError, KeyError, TypeError) as e:
        print(f"score_cmd.py: bad request: {e}", file=sys.stderr, flush=True)
        print("null", flush=True)  # a reply that fails the batch (never a made-up score)
