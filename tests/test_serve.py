"""Chapter 07: the story web page's API — whole and streamed stories, bad input, limits, load."""
import json
import threading

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
from starlette.testclient import TestClient  # noqa: E402

from pystory.gpt_cli import SHIPPED_MODEL, load_model  # noqa: E402
from pystory.serve import Limits, StoryService, create_app  # noqa: E402

STORY = {"prompt": "Once upon a time", "seed": 7, "max_tokens": 40, "temperature": 0.8, "top_p": 0.95}


@pytest.fixture(scope="module")
def shipped():
    model, tok, _ = load_model(SHIPPED_MODEL, "c")
    return model, tok


def client(shipped, workers=2, **limits):
    limits.setdefault("RATE", 10**6)
    limits.setdefault("BURST", 10**6)
    service = StoryService(*shipped, Limits(**limits), workers=workers)
    return TestClient(create_app(service)), service


def sse(text):
    """[(event, data)] of a text/event-stream body."""
    out = []
    for block in text.strip().split("\n\n"):
        name, data = "message", ""
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
        out.append((name, json.loads(data)))
    return out


def expected_text(shipped, settings):
    from pystory.sample import Sampler, generate
    model, tok = shipped
    ids = generate(model, tok.encode(settings["prompt"]), settings["max_tokens"],
                   Sampler(settings["temperature"], top_p=settings["top_p"], seed=settings["seed"]), eot_id=tok.eot_id)
    return tok.decode(list(ids)).decode("utf-8", "replace")


def test_a_whole_story_is_the_sampler_s_story_for_that_seed(shipped):
    c, _ = client(shipped)
    r = c.post("/api/story", json=STORY)
    assert r.status_code == 200
    body = r.json()
    assert body["seed"] == 7 and body["prompt"] == STORY["prompt"] and 0 < body["tokens"] <= 40
    assert body["finish_reason"] in ("end", "length")
    assert body["text"] == expected_text(shipped, STORY)


def test_a_streamed_story_arrives_in_pieces_that_add_up_to_the_whole_one(shipped):
    c, service = client(shipped)
    whole = c.post("/api/story", json=STORY).json()
    r = c.post("/api/story", json={**STORY, "stream": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse(r.text)
    assert events[0] == ("start", {"seed": 7})
    assert events[-1][0] == "done" and events[-1][1]["tokens"] == whole["tokens"]
    pieces = [d["piece"] for name, d in events if name == "message"]
    assert len(pieces) > 5 and "".join(pieces) == whole["text"]
    for _ in range(service.workers):                 # every slot was given back
        assert service.slots.acquire(timeout=1)


def test_without_a_seed_a_random_one_is_chosen_and_returned(shipped):
    c, _ = client(shipped)
    a = c.post("/api/story", json={**STORY, "seed": None, "max_tokens": 5}).json()
    b = c.post("/api/story", json={**STORY, "seed": a["seed"], "max_tokens": 5}).json()
    assert isinstance(a["seed"], int) and a["text"] == b["text"]


@pytest.mark.parametrize("body,message", [
    ({"prompt": 3}, "'prompt' must be a string"),
    ({"temperature": "hot"}, "'temperature' must be a number"),
    ({"temperature": 5}, "'temperature' must be in [0, 2]"),
    ({"top_p": 0}, "'top_p' must be in (0, 1]"),
    ({"max_tokens": 100000}, "'max_tokens' must be in [1, 500]"),
    ({"max_tokens": 2.5}, "'max_tokens' must be an integer"),
    ({"seed": -1}, "'seed' must be in [0, 4294967295]"),
    ({"seed": True}, "'seed' must be an integer"),
    ({"stream": "yes"}, "'stream' must be true or false"),
    ({"prompt": "x" * 1001}, "at most 1000 are allowed"),
    ({"colour": "red"}, "unknown field(s) ['colour']"),
    ([1, 2], "the body must be a JSON object"),
])
def test_bad_fields_get_400_with_a_message_naming_the_field(shipped, body, message):
    c, _ = client(shipped)
    r = c.post("/api/story", json=body)
    assert r.status_code == 400 and message in r.json()["error"]


def test_not_json_nan_and_too_many_prompt_tokens_are_refused(shipped):
    c, service = client(shipped)
    assert c.post("/api/story", content=b"{not json").status_code == 400
    r = c.post("/api/story", content=b'{"temperature": NaN}')
    assert r.status_code == 400 and "'temperature' must be" in r.json()["error"]
    limit = service.max_prompt_tokens                  # half the context of whatever model ships
    prompt = "a " * (limit + 1)
    assert len(prompt) <= Limits().MAX_PROMPT_CHARS and len(shipped[1].encode(prompt)) > limit
    r = c.post("/api/story", json={"prompt": prompt})
    assert r.status_code == 400 and f"tokens; at most {limit}" in r.json()["error"]


def test_a_body_over_the_limit_gets_413(shipped):
    c, _ = client(shipped)
    r = c.post("/api/story", content=b'{"prompt": "' + b"a" * 9000 + b'"}')
    assert r.status_code == 413


def test_a_client_over_its_rate_gets_429_with_retry_after(shipped):
    c, _ = client(shipped, RATE=6, BURST=2)
    codes = [c.post("/api/story", json={**STORY, "max_tokens": 1}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = c.post("/api/story", json=STORY)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_when_every_worker_is_busy_a_request_gets_503(shipped):
    c, service = client(shipped, workers=1, QUEUE_TIMEOUT=0.05)
    assert service.slots.acquire()
    try:
        r = c.post("/api/story", json=STORY)
        assert r.status_code == 503 and "busy" in r.json()["error"]
    finally:
        service.slots.release()
    assert c.post("/api/story", json={**STORY, "max_tokens": 2}).status_code == 200


def test_a_story_that_runs_too_long_stops_with_finish_reason_timeout(shipped):
    c, _ = client(shipped, STORY_TIMEOUT=0.0)
    body = c.post("/api/story", json={**STORY, "max_tokens": 100}).json()
    assert body["finish_reason"] == "timeout" and body["tokens"] < 100


def test_stories_written_at_once_equal_the_same_stories_written_one_by_one(shipped):
    c, _ = client(shipped, workers=3)
    settings = [{**STORY, "seed": s, "max_tokens": 30, "stream": s % 2 == 0} for s in range(6)]

    def text_of(r, stream):
        return "".join(d["piece"] for n, d in sse(r.text) if n == "message") if stream else r.json()["text"]
    serial = [text_of(c.post("/api/story", json=s), s["stream"]) for s in settings]
    results = [None] * len(settings)

    def one(i):
        results[i] = text_of(c.post("/api/story", json=settings[i]), settings[i]["stream"])
    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(settings))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == serial
    assert len(set(serial)) == len(serial)          # different seeds, different stories


def test_the_page_and_health_are_served(shipped):
    c, _ = client(shipped)
    page = c.get("/")
    assert page.status_code == 200 and 'id="prompt"' in page.text and "/api/story" in page.text
    h = c.get("/api/health").json()
    assert h["parameters"] == shipped[0].num_params and h["limits"]["max_tokens"] == 500
    assert c.get("/api/story").status_code == 405


def test_the_load_test_runs_against_a_real_server_on_localhost(shipped):
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "chapters", "07_product"))
    from loadtest import load_test
    from pystory.serve import BackgroundServer
    service = StoryService(*shipped, Limits(RATE=10**6, BURST=10**6), workers=2)
    with BackgroundServer(create_app(service)) as url:
        result = load_test(url, clients=3, requests=6, max_tokens=10)
    assert result["ok"] == 6 and result["errors"] == 0
    assert 0 < result["first_token_p50_s"] <= result["total_p50_s"]
    assert np.isfinite(result["requests_per_s"])


def test_serve_answers_bad_arguments_with_one_line_and_exit_2(capsys):
    from pystory.serve import main
    assert main(["--port", "99999"]) == 2
    assert capsys.readouterr().err.startswith("serve: argument --port")


def test_the_server_writes_with_an_int8_model_too(shipped):
    from pystory.checkpoint import load_checkpoint
    from pystory.quantize import QuantizedGPT, quantize_params
    import pystory
    ck = load_checkpoint(SHIPPED_MODEL)
    q8 = QuantizedGPT(ck.config, pystory.backend("c"), quantize_params(ck.params, ck.config))
    c = TestClient(create_app(StoryService(q8, shipped[1], Limits(RATE=10**6, BURST=10**6))))
    r = c.post("/api/story", json={**STORY, "max_tokens": 10})
    assert r.status_code == 200 and r.json()["tokens"] > 0
    assert c.get("/api/health").json()["kind"] == "QuantizedGPT"


def test_serve_refuses_a_broken_model_file_with_one_line(tmp_path, capsys):
    from pystory.serve import main
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"PYSTGPT2" + b"\0" * 40)
    assert main(["--model", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("serve: ") and "corrupt checkpoint" in err and "\n" not in err
