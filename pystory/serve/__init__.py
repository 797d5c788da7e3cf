"""Chapter 07: the story web page — python -m pystory serve [--model FILE] [--port 8000].

A page where a reader types the start of a story, sets temperature, top-p,
length and seed, and watches the story arrive token by token; and the JSON
API behind it:

    POST /api/story   {"prompt": "Once upon a time", "temperature": 0.8, "top_p": 0.9,
                       "max_tokens": 200, "seed": 7, "stream": false}
        -> {"prompt", "text", "seed", "tokens", "finish_reason", "seconds"}
    with "stream": true: server-sent events (text/event-stream), one per piece of text,
        data: {"piece": " there"}            ... then
        event: done / data: {"seed": 7, "tokens": 143, "finish_reason": "end", ...}
    GET /api/health   the model, its size, the limits

Why Starlette (with uvicorn): it is the small, well-kept ASGI toolkit that
FastAPI itself is built on — routing, a streaming response for server-sent
events, and a test client (httpx) are all we need, with no schema framework
on top; uvicorn is the ASGI server the field uses with it. Server-sent
events rather than a websocket: the stream goes one way, and SSE is plain
HTTP (it works through proxies, curl shows it, a fetch() reads it).

Safe under bad input and load:
- every field is validated (type, range, finiteness, unknown keys refused): 400
  with a one-line message; a body over MAX_BODY bytes: 413;
- limits on the prompt (characters and tokens) and on new tokens;
- a per-client token bucket (RATE requests per minute, a burst of BURST): 429
  with Retry-After;
- at most `workers` stories are written at once (the CPU has few cores); a
  request that waits longer than QUEUE_TIMEOUT for a slot gets 503;
- a story stops after STORY_TIMEOUT seconds (finish_reason "timeout");
- the model is loaded once, at start; every request has its own sampler and
  KV cache, so concurrent stories never share state (a test checks that
  stories written at once equal the same stories written one by one).
The seed of every story is returned and shown, so it can be reproduced.
"""
from __future__ import annotations

import json
import math
import os
import secrets
import sys
import threading
import time

import numpy as np

from pystory.sample import STORY_TEMPERATURE, STORY_TOP_P

__all__ = ["Limits", "StoryService", "create_app", "BackgroundServer", "main"]

HERE = os.path.dirname(os.path.abspath(__file__))


class Limits:
    MAX_BODY = 8 * 1024               # bytes of a request body
    MAX_PROMPT_CHARS = 1000
    MAX_TOKENS = 500                  # new tokens per story
    STORY_TIMEOUT = 30.0              # seconds of generation per story
    QUEUE_TIMEOUT = 10.0              # seconds a request may wait for a free worker
    RATE = 30                         # requests per minute per client ...
    BURST = 10                        # ... with bursts of this many

    def __init__(self, **kw):
        for k, v in kw.items():
            if not hasattr(Limits, k):
                raise ValueError(f"Limits: unknown limit {k!r}")
            setattr(self, k, v)


class BadRequest(ValueError):
    """A request the API refuses; the message says which field and why."""


FIELDS = ("prompt", "temperature", "top_p", "top_k", "max_tokens", "seed", "stream")


def parse_request(body, limits, vocab_size):
    """The validated settings of one story request, from the parsed JSON body."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise BadRequest(f"unknown field(s) {unknown}; the fields are {list(FIELDS)}")

    def number(name, default, lo, hi, lo_open=False, integer=False):
        v = body.get(name, default)
        if v is None and name == "seed":
            return None
        ok_type = isinstance(v, int) if integer else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok_type:
            raise BadRequest(f"'{name}' must be {'an integer' if integer else 'a number'}, got {json.dumps(v)[:40]}")
        if not math.isfinite(v) or not ((v > lo) if lo_open else (v >= lo)) or v > hi:
            raise BadRequest(f"'{name}' must be in {'(' if lo_open else '['}{lo}, {hi}], got {v}")
        return v

    prompt = body.get("prompt", "Once upon a time")
    if not isinstance(prompt, str):
        raise BadRequest("'prompt' must be a string")
    if len(prompt) > limits.MAX_PROMPT_CHARS:
        raise BadRequest(f"'prompt' is {len(prompt)} characters; at most {limits.MAX_PROMPT_CHARS} are allowed")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequest("'stream' must be true or false")
    return dict(prompt=prompt, stream=stream,
                temperature=float(number("temperature", STORY_TEMPERATURE, 0, 2)),
                top_p=float(number("top_p", STORY_TOP_P, 0, 1, lo_open=True)),
                top_k=int(number("top_k", 0, 0, vocab_size, integer=True)),
                max_tokens=int(number("max_tokens", 200, 1, limits.MAX_TOKENS, integer=True)),
                seed=number("seed", None, 0, 2**32 - 1, integer=True))


class RateLimiter:
    """A token bucket per client: `rate` per minute, up to `burst` at once."""

    def __init__(self, rate, burst, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate / 60.0, burst, clock
        self.buckets, self.lock = {}, threading.Lock()

    def allow(self, client):
        """(allowed, seconds until the next request would be)."""
        now = self.clock()
        with self.lock:
            tokens, last = self.buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if len(self.buckets) > 10000:                     # forget idle clients, bounded memory
                self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < 600}
            if tokens >= 1:
                self.buckets[client] = (tokens - 1, now)
                return True, 0.0
            self.buckets[client] = (tokens, now)
            return False, (1 - tokens) / self.rate


class StoryService:
    """The model, loaded once, and the writing of one story (called from worker threads)."""

    def __init__(self, model, tok, limits=None, workers=2, name="model"):
        self.model, self.tok, self.limits, self.name = model, tok, limits or Limits(), name
        self.slots = threading.BoundedSemaphore(workers)
        self.workers = workers
        self.max_prompt_tokens = model.cfg.block_size // 2

    def prompt_ids(self, prompt):
        ids = self.tok.encode(prompt) if prompt else np.zeros(0, np.int32)
        if len(ids) > self.max_prompt_tokens:
            raise BadRequest(f"'prompt' is {len(ids)} tokens; at most {self.max_prompt_tokens} are allowed")
        return ids

    def pieces(self, settings, ids, info):
        """Yield the story's text pieces; `info` gets seed, tokens, finish_reason, seconds."""
        from pystory.sample import Sampler, generate, stream_text
        sampler = Sampler(temperature=settings["temperature"], top_k=settings["top_k"],
                          top_p=settings["top_p"], seed=info["seed"])
        t0 = time.perf_counter()
        info.update(tokens=0, finish_reason="end")
        counted = _count(generate(self.model, ids, settings["max_tokens"], sampler, eot_id=self.tok.eot_id), info)
        for piece in stream_text(self.tok, counted):
            yield piece
            if time.perf_counter() - t0 > self.limits.STORY_TIMEOUT:
                info["finish_reason"] = "timeout"
                break
        else:
            if info["tokens"] >= settings["max_tokens"]:
                info["finish_reason"] = "length"
        info["seconds"] = round(time.perf_counter() - t0, 3)


def _count(ids, info):
    for i in ids:
        info["tokens"] += 1
        yield i


def _client(request):
    return request.client.host if request.client else "unknown"


def create_app(service):
    """The Starlette application around one StoryService."""
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import HTMLResponse, JSONResponse, StreamingResponse
    from starlette.routing import Route

    limits = service.limits
    limiter = RateLimiter(limits.RATE, limits.BURST)
    with open(os.path.join(HERE, "page.html"), encoding="utf-8") as f:
        page = f.read()

    def error(status, message, **headers):
        return JSONResponse({"error": message}, status_code=status, headers=headers or None)

    async def index(request):
        return HTMLResponse(page)

    async def health(request):
        m = service.model
        return JSONResponse({"model": service.name, "kind": type(m).__name__, "parameters": m.num_params,
                             "config": m.cfg.to_dict(), "workers": service.workers,
                             "limits": {"max_tokens": limits.MAX_TOKENS, "max_prompt_chars": limits.MAX_PROMPT_CHARS,
                                        "max_prompt_tokens": service.max_prompt_tokens,
                                        "requests_per_minute": limits.RATE, "story_timeout_s": limits.STORY_TIMEOUT}})

    async def story(request):
        ok, wait = limiter.allow(_client(request))
        if not ok:
            return error(429, f"too many requests; try again in {math.ceil(wait)} s", **{"Retry-After": str(math.ceil(wait))})
        size = request.headers.get("content-length")
        if size is not None and (not size.isdigit() or int(size) > limits.MAX_BODY):
            return error(413, f"the body is larger than {limits.MAX_BODY} bytes")
        raw = await request.body()
        if len(raw) > limits.MAX_BODY:
            return error(413, f"the body is larger than {limits.MAX_BODY} bytes")
        try:
            body = json.loads(raw.decode("utf-8"), parse_constant=lambda c: float("nan"))
        except (ValueError, UnicodeDecodeError):
            return error(400, "the body is not valid JSON")
        try:
            settings = parse_request(body, limits, service.model.cfg.vocab_size)
            ids = service.prompt_ids(settings["prompt"])
        except BadRequest as e:
            return error(400, str(e))
        # wait (in a thread, so the event loop keeps serving) for one of the workers
        got = await run_in_threadpool(service.slots.acquire, True, limits.QUEUE_TIMEOUT)
        if not got:
            return error(503, f"every worker is busy; try again shortly (waited {limits.QUEUE_TIMEOUT:g} s)")
        seed = settings["seed"] if settings["seed"] is not None else secrets.randbelow(2**32)
        info = {"seed": seed}
        if not settings["stream"]:
            try:
                text = await run_in_threadpool(lambda: "".join(service.pieces(settings, ids, info)))
            finally:
                service.slots.release()
            return JSONResponse({"prompt": settings["prompt"], "text": text, **info})
        slot = _Slot(service.slots)
        # the generator releases the slot when the story ends or the client leaves; the background
        # task too, for a client gone before the first event (a generator never started has no finally)
        return StreamingResponse(_events(service, settings, ids, info, slot), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
                                 background=BackgroundTask(slot.release))

    return Starlette(routes=[Route("/", index), Route("/api/health", health),
                             Route("/api/story", story, methods=["POST"])])


class _Slot:
    """One taken worker slot, released exactly once."""

    def __init__(self, sem):
        self.sem, self.lock, self.held = sem, threading.Lock(), True

    def release(self):
        with self.lock:
            if self.held:
                self.held = False
                self.sem.release()


def _events(service, settings, ids, info, slot):
    """Server-sent events of one story; Starlette runs this generator in worker threads."""
    try:
        yield _sse({"seed": info["seed"]}, "start")
        for piece in service.pieces(settings, ids, info):
            yield _sse({"piece": piece})
        yield _sse({"prompt": settings["prompt"], **info}, "done")
    finally:
        slot.release()


def _sse(data, event=None):
    head = f"event: {event}\n" if event else ""
    return head + "data: " + json.dumps(data) + "\n\n"


class BackgroundServer:
    """uvicorn serving `app` on 127.0.0.1 in a thread (tests, the load test, the screenshot):

        with BackgroundServer(create_app(service)) as url:   # "http://127.0.0.1:PORT"
            ...
    """

    def __init__(self, app, port=0):
        import socket
        import uvicorn
        if port == 0:                          # a free port, chosen by the OS
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the test server did not start on {self.url}")
            time.sleep(0.02)
        return self.url

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=20)


def serve_parser():
    import pystory
    from pystory.cli_args import Int, Parser, Path
    from pystory.gpt_cli import SHIPPED_MODEL
    p = Parser("python -m pystory serve", description="The story web page and its JSON API.")
    p.add_argument("--model", type=Path("file"), default=SHIPPED_MODEL,
                   help="a float, int8 (quantize) or adapter (finetune) checkpoint")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS, help="who runs the ops")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=Int(1, 65535), default=8000, help="TCP port to listen on")
    p.add_argument("--workers", type=Int(1, 64), default=2, help="stories written at once")
    p.add_argument("--rate", type=Int(1, 10**6), default=Limits.RATE, help="requests per minute per client")
    return p


def main(argv=None):
    from pystory.cli_args import run
    return run("serve", _main, sys.argv[1:] if argv is None else argv)


def _main(argv):
    from pystory.cli_args import UserError
    from pystory.gpt_cli import load_model
    args = serve_parser().parse_args(argv)
    model, tok, _ = load_model(args.model, args.backend)       # a bad model file is the first thing said
    try:
        import uvicorn
        import starlette  # noqa: F401
    except ImportError as e:
        raise UserError(f"{e.name} is not installed; run `make setup` (or pip install -e '.[web]')") from None
    service = StoryService(model, tok, Limits(RATE=args.rate), workers=args.workers,
                           name=os.path.basename(args.model))
    print(f"serving {args.model} ({model.num_params:,} parameters, {type(model).__name__}, backend "
          f"{args.backend}) on http://{args.host}:{args.port}/", flush=True)
    try:
        uvicorn.run(create_app(service), host=args.host, port=args.port, log_level="warning")
    except OSError as e:                       # the port is taken, or not ours to open
        raise UserError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
