"""Chapter 07: a small load test of the story server, on localhost only.

    python chapters/07_product/loadtest.py                  (starts its own server on 127.0.0.1)
    python chapters/07_product/loadtest.py --url http://127.0.0.1:8000   (a server you started)

`clients` threads each send streamed story requests one after another until
`requests` have been sent in all; it reports requests per second and the
latency of the first token (the first text event of the stream) and of the
whole story, median and 90th percentile. Bounded in count and time; only
127.0.0.1 / localhost addresses are accepted.
"""
import argparse
import json
import os
import sys
import threading
import time
from urllib.parse import urlparse

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))


def load_test(url, clients=4, requests=24, max_tokens=50, timeout=60.0):
    import httpx
    if urlparse(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"loadtest: only a server on this machine (127.0.0.1) may be loaded, not {url}")
    first, total, errors, lock = [], [], [], threading.Lock()
    counter = iter(range(requests))

    def client():
        with httpx.Client(timeout=timeout) as http:
            for i in counter:
                body = {"prompt": "Once upon a time", "seed": i, "max_tokens": max_tokens, "stream": True}
                t0 = time.perf_counter()
                t_first = None
                try:
                    with http.stream("POST", url + "/api/story", json=body) as r:
                        if r.status_code != 200:
                            raise RuntimeError(f"HTTP {r.status_code}")
                        for line in r.iter_lines():
                            if t_first is None and line.startswith("data: ") and '"piece"' in line:
                                t_first = time.perf_counter() - t0
                    with lock:
                        first.append(t_first if t_first is not None else float("nan"))
                        total.append(time.perf_counter() - t0)
                except Exception as e:  # noqa: BLE001 (counted, reported)
                    with lock:
                        errors.append(str(e))
    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    f, a = np.array(first), np.array(total)
    return {"clients": clients, "ok": len(total), "errors": len(errors), "seconds": wall,
            "requests_per_s": len(total) / wall,
            "first_token_p50_s": float(np.nanmedian(f)) if f.size else float("nan"),
            "first_token_p90_s": float(np.nanpercentile(f, 90)) if f.size else float("nan"),
            "total_p50_s": float(np.median(a)) if a.size else float("nan"),
            "total_p90_s": float(np.percentile(a, 90)) if a.size else float("nan")}


def main():
    from pystory.bench import add_output_args, machine, markdown_table, output_dir, write_text
    from pystory.cli_args import Int, Path
    p = argparse.ArgumentParser(description="Load-test the story server on localhost.")
    p.add_argument("--url", default=None, help="a running server (default: start one with the shipped model)")
    p.add_argument("--model", type=Path("file"), default=None, help="the model to serve (default: the shipped one)")
    p.add_argument("--clients", type=Int(1, 10_000), nargs="+", default=[1, 4, 16], help="clients at once, per row")
    p.add_argument("--requests", type=Int(1), default=32, help="stories per row")
    p.add_argument("--max-tokens", type=Int(1, 10_000), default=50, help="tokens per story")
    p.add_argument("--workers", type=Int(1, 64), default=2, help="the server's story workers")
    add_output_args(p)
    args = p.parse_args()
    rows = []

    def run(url):
        for c in args.clients:
            r = load_test(url, c, args.requests, args.max_tokens)
            rows.append([c, f"{r['ok']}/{args.requests}", f"{r['requests_per_s']:.1f}",
                         f"{1000 * r['first_token_p50_s']:.0f} / {1000 * r['first_token_p90_s']:.0f}",
                         f"{1000 * r['total_p50_s']:.0f} / {1000 * r['total_p90_s']:.0f}"])
            print(json.dumps(r), flush=True)
    if args.url:
        run(args.url)
    else:
        from pystory.gpt_cli import SHIPPED_MODEL, load_model
        from pystory.serve import BackgroundServer, Limits, StoryService, create_app
        model, tok, _ = load_model(args.model or SHIPPED_MODEL, "c")
        service = StoryService(model, tok, Limits(RATE=10**6, BURST=10**6), workers=args.workers)
        with BackgroundServer(create_app(service)) as url:
            run(url)
    text = (markdown_table(["clients", "ok", "requests/s", "first token ms (p50 / p90)", "whole story ms (p50 / p90)"],
                           rows) +
            f"\n\n`python chapters/07_product/loadtest.py`: {args.requests} streamed stories of {args.max_tokens} "
            f"tokens per row, {args.workers} workers, server and clients on one machine: {machine()}; "
            f"load {os.getloadavg()[0]:.1f}\n")
    print(text)
    write_text(os.path.join(output_dir(HERE, args.refresh_figures), "loadtest.md"), text)


if __name__ == "__main__":
    main()
