#!/usr/bin/env python3
"""A tiny external reward server for `rlhf ppo --reward http://127.0.0.1:8000/score` (or `--gold`).

Protocol (the same for http and cmd: scorers): the request body is one JSON object
    {"items": [{"prompt": ..., "response": ..., "answer": ...?}, ...], "prompts": [...], "query": [...]}
("prompts" and "query" = prompt + response are what OpenRLHF's serve_rm.py reads); the reply is a JSON list with one
number per item, in order (or {"rewards": [...]}). Any other reply, an HTTP error or a timeout fails the batch; after
the retries the batch is skipped (its samples are dropped and counted, never scored 0).

This toy reward counts positive minus negative words of the response (the demo's review task), scaled to [-1, 1].
Run:  python3 examples/external-reward/score_server.py --port 8000
"""
import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

POSITIVE = {"good", "great", "fun", "lovely", "wonderful", "excellent", "best", "enjoyed", "love", "amazing"}
NEGATIVE = {"bad", "cold", "boring", "awful", "worst", "terrible", "dull", "hate", "poor", "waste"}


def score(response: str) -> float:
    words = [w.strip(".,!?;:\"'()").lower() for w in response.split()]
    pos = sum(w in POSITIVE for w in words)
    neg = sum(w in NEGATIVE for w in words)
    return (pos - neg) / max(1, pos + neg)


def score_batch(request: dict) -> list:
    return [score(item["response"]) for item in request["items"]]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/score":
            self.send_error(404, "POST /score")
            return
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            body = json.dumps(score_batch(request)).encode()
        except (ValueError, KeyError, TypeError) as e:
            self.send_error(400, f"bad request: {e}")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    ThreadingHTTPServer((args.host, args.port), Handler).serve_forever()
