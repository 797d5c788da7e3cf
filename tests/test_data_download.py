"""data download: a whole transfer, an interrupted one that resumes, a corrupt one that is refused.

Every test talks to a small HTTP server on 127.0.0.1 started here, which
answers Range requests like the Hugging Face CDN does (206 + Content-Range),
and can be told to drop the connection, to corrupt a byte, or to ignore Range.
"""
import hashlib
import http.server
import io
import re
import socket
import threading
import time

import pytest

from pystory.data import cli, download
from pystory.data.corpus import read_corpus
from pystory.data.download import DownloadError, Offline, RemoteFile, fetch, progress_line
from pystory.data.shards import read_shard
from pystory.data.storyworld import generate_stories

EOT = "<|endoftext|>"


def raw_file(stories):
    """A file in the published layout: each story, then a line <|endoftext|>."""
    return "".join(s + "\n" + EOT + "\n" for s in stories).encode()


TRAIN = raw_file(generate_stories(40, seed=21))
VALID = raw_file(generate_stories(6, seed=22))


def remote(split, name, data):
    return RemoteFile(split, name, len(data), hashlib.sha256(data).hexdigest())


FILES = [remote("train", "ts-train.txt", TRAIN), remote("val", "ts-valid.txt", VALID)]


class Server:
    """Serves {name: bytes}; records each request's Range header; can misbehave on purpose."""

    def __init__(self, files):
        self.files = dict(files)
        self.requests = []          # (path, Range header or None)
        self.cut_after = None       # drop the connection after this many body bytes (once)
        self.flip_byte = None       # corrupt this offset of every answer
        self.ignore_range = False   # answer 200 with the whole file even when asked for a range
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                outer.requests.append((self.path, self.headers.get("Range")))
                if self.path.startswith("/resolve/"):                # like the Hub: 302 to its CDN
                    self.send_response(302)
                    self.send_header("Location", "/cdn/" + name)
                    self.end_headers()
                    return
                if name not in outer.files:
                    self.send_error(404)
                    return
                data = bytearray(outer.files[name])
                if outer.flip_byte is not None:
                    data[outer.flip_byte] ^= 0xFF
                start, status = 0, 200
                m = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if m and not outer.ignore_range:
                    start = int(m.group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.end_headers()
                        return
                    status = 206
                body = bytes(data[start:])
                self.send_response(status)
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if outer.cut_after is not None:
                    self.wfile.write(body[:outer.cut_after])
                    self.wfile.flush()
                    outer.cut_after = None
                    self.connection.shutdown(socket.SHUT_RDWR)   # the line goes dead mid-file
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/files/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server({f.name: d for f, d in zip(FILES, (TRAIN, VALID))})
    yield s
    s.close()


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"          # nothing listens there any more


def run(tmp_path, server_url, **kw):
    kw.setdefault("tokenizer", "byte")
    return download.download_tinystories(tmp_path / "ts", url=server_url, files=FILES,
                                         stream=io.StringIO(), log=lambda *a: None, timeout=5, **kw)


# --- a whole transfer ---------------------------------------------------------

def test_a_whole_transfer_gives_the_published_bytes(tmp_path, server):
    run(tmp_path, server.url)
    assert (tmp_path / "ts/raw/ts-train.txt").read_bytes() == TRAIN
    assert (tmp_path / "ts/raw/ts-valid.txt").read_bytes() == VALID
    assert not list((tmp_path / "ts/raw").glob("*.part"))


def test_a_whole_transfer_is_converted_to_train_and_val_text(tmp_path, server):
    texts = run(tmp_path, server.url)
    assert read_corpus(texts["train"]) == generate_stories(40, seed=21)
    assert read_corpus(texts["val"]) == generate_stories(6, seed=22)


def test_a_whole_transfer_writes_token_shards_ending_in_eot(tmp_path, server):
    run(tmp_path, server.url)
    tokens, header = read_shard(tmp_path / "ts/train_000.bin", expected_vocab=257)
    assert header.eot_id == 256 and int((tokens == 256).sum()) == 40
    assert (tmp_path / "ts/val_000.bin").exists()


def test_the_checked_sums_are_recorded_for_sha256sum(tmp_path, server):
    run(tmp_path, server.url, tokenizer="none")
    sums = (tmp_path / "ts/raw/SHA256SUMS").read_text().splitlines()
    assert f"{FILES[0].sha256}  ts-train.txt" in sums and len(sums) == 2


def test_a_file_already_downloaded_is_checked_not_fetched_again(tmp_path, server):
    run(tmp_path, server.url, tokenizer="none")
    server.requests.clear()
    run(tmp_path, closed_port_url(), tokenizer="none")       # works with the server gone
    assert server.requests == []


def test_only_the_chosen_split_is_fetched(tmp_path, server):
    texts = run(tmp_path, server.url, splits=("val",), tokenizer="none")
    assert set(texts) == {"val"}
    assert [path for path, _ in server.requests] == ["/files/ts-valid.txt"]


# --- an interrupted transfer resumes -----------------------------------------

def test_an_interrupted_transfer_keeps_what_arrived(tmp_path, server):
    server.cut_after = 1000
    with pytest.raises(DownloadError, match="run the same command again to resume"):
        run(tmp_path, server.url, splits=("train",))
    part = tmp_path / "ts/raw/ts-train.txt.part"
    assert part.read_bytes() == TRAIN[:1000]
    assert not (tmp_path / "ts/raw/ts-train.txt").exists()


def test_the_next_run_asks_only_for_the_rest_and_finishes(tmp_path, server):
    server.cut_after = 1000
    with pytest.raises(DownloadError):
        run(tmp_path, server.url, splits=("train",))
    server.requests.clear()
    run(tmp_path, server.url, splits=("train",))
    assert server.requests == [("/files/ts-train.txt", "bytes=1000-")]
    assert (tmp_path / "ts/raw/ts-train.txt").read_bytes() == TRAIN


def test_the_range_survives_a_redirect_to_a_cdn(tmp_path, server):
    server.cut_after = 1000
    hub = server.url.replace("/files/", "/resolve/")
    with pytest.raises(DownloadError):
        run(tmp_path, hub, splits=("train",))
    server.requests.clear()
    run(tmp_path, hub, splits=("train",))
    assert server.requests == [("/resolve/ts-train.txt", "bytes=1000-"), ("/cdn/ts-train.txt", "bytes=1000-")]
    assert (tmp_path / "ts/raw/ts-train.txt").read_bytes() == TRAIN


def test_a_server_that_ignores_the_range_gets_the_whole_file_again(tmp_path, server):
    server.cut_after = 1000
    with pytest.raises(DownloadError):
        run(tmp_path, server.url, splits=("train",))
    server.ignore_range = True
    run(tmp_path, server.url, splits=("train",))
    assert (tmp_path / "ts/raw/ts-train.txt").read_bytes() == TRAIN


def test_a_part_that_is_already_whole_is_checked_without_asking_the_server(tmp_path, server):
    raw = tmp_path / "ts/raw"
    raw.mkdir(parents=True)
    (raw / "ts-valid.txt.part").write_bytes(VALID)            # killed after the last byte, before the rename
    run(tmp_path, server.url, splits=("val",), tokenizer="none")
    assert (raw / "ts-valid.txt").read_bytes() == VALID
    assert server.requests == []


def test_a_server_with_nothing_more_to_send_leaves_a_short_part_refused(tmp_path, server):
    server.files["ts-valid.txt"] = VALID[:100]                # a mirror with a truncated copy: 416
    raw = tmp_path / "ts/raw"
    raw.mkdir(parents=True)
    (raw / "ts-valid.txt.part").write_bytes(VALID[:100])
    with pytest.raises(DownloadError, match="refused"):
        run(tmp_path, server.url, splits=("val",), tokenizer="none")
    assert not (raw / "ts-valid.txt").exists()


# --- a corrupt transfer is refused ---------------------------------------------

def test_a_corrupt_transfer_is_refused_and_removed(tmp_path, server):
    server.flip_byte = 500
    with pytest.raises(DownloadError, match="corrupt download"):
        run(tmp_path, server.url, splits=("train",))
    raw = tmp_path / "ts/raw"
    assert not (raw / "ts-train.txt").exists() and not (raw / "ts-train.txt.part").exists()
    assert not (tmp_path / "ts/train.txt").exists()


def test_a_corrupt_resumed_part_is_refused_too(tmp_path, server):
    raw = tmp_path / "ts/raw"
    raw.mkdir(parents=True)
    (raw / "ts-train.txt.part").write_bytes(b"X" * 700)      # bytes that were never the file
    with pytest.raises(DownloadError, match="corrupt download"):
        run(tmp_path, server.url, splits=("train",))
    assert not (raw / "ts-train.txt.part").exists()


def test_a_file_of_the_wrong_size_is_refused_before_downloading(tmp_path, server):
    server.files["ts-train.txt"] = TRAIN + b"more"
    with pytest.raises(DownloadError, match="published file has"):
        run(tmp_path, server.url, splits=("train",))
    assert not (tmp_path / "ts/raw/ts-train.txt.part").exists() or \
        (tmp_path / "ts/raw/ts-train.txt.part").stat().st_size == 0


def test_a_tampered_file_on_disk_is_downloaded_again(tmp_path, server):
    run(tmp_path, server.url, splits=("val",), tokenizer="none")
    (tmp_path / "ts/raw/ts-valid.txt").write_bytes(b"not the file")
    run(tmp_path, server.url, splits=("val",), tokenizer="none")
    assert (tmp_path / "ts/raw/ts-valid.txt").read_bytes() == VALID


def test_a_missing_file_is_a_clear_error(tmp_path, server):
    with pytest.raises(DownloadError, match="404"):
        fetch(server.url + "nope.txt", tmp_path / "nope.txt", 10, "0" * 64, timeout=5, stream=io.StringIO())


# --- offline ---------------------------------------------------------------------

def test_offline_fails_fast_naming_the_host(tmp_path):
    t = time.monotonic()
    with pytest.raises(Offline, match="cannot reach 127.0.0.1"):
        run(tmp_path, closed_port_url())
    assert time.monotonic() - t < 15            # a refused connection, not a hang


def test_offline_on_the_command_line_points_to_storyworld_and_corpus(tmp_path, capsys):
    code = cli.main(["download", "tinystories", "--out", str(tmp_path / "ts"), "--url", closed_port_url(),
                     "--splits", "val", "--timeout", "3"])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "storyworld" in err and "--corpus" in err and "Traceback" not in err


# --- the command line --------------------------------------------------------------

def test_the_command_downloads_converts_and_tokenizes(tmp_path, server, monkeypatch, capsys):
    monkeypatch.setitem(download.KNOWN, "v2", tuple(FILES))
    assert cli.main(["download", "tinystories", "--out", str(tmp_path / "ts"), "--url", server.url]) == 0
    out = capsys.readouterr().out
    assert "checked" in out and "40 stories" in out and "tokens" in out
    assert read_corpus(tmp_path / "ts/val.txt") == generate_stories(6, seed=22)


def test_the_command_refuses_bad_arguments_in_one_line(tmp_path, capsys):
    for args, what in ((["--splits", "test"], "--splits"), (["--timeout", "0"], "--timeout"),
                       (["--tokenizer", str(tmp_path / "missing.bpe")], "--tokenizer")):
        assert cli.main(["download", "tinystories", "--out", str(tmp_path), *args]) == 2
        err = capsys.readouterr().err
        assert what in err and len(err.strip().splitlines()) == 1


def test_the_published_files_are_recorded_with_size_and_sha256():
    for version, files in download.KNOWN.items():
        assert {f.split for f in files} == {"train", "val"}
        for f in files:
            assert f.size > 10_000_000 and re.fullmatch(r"[0-9a-f]{64}", f.sha256), (version, f)


# --- the progress bar ----------------------------------------------------------------

def test_the_progress_line_shows_bytes_rate_and_time_left():
    line = progress_line("valid.txt", 11_250_000, 22_500_000, 2_500_000)
    assert "11.2 MB / 22.5 MB" in line and " 50%" in line and "2.5 MB/s" in line and "0:04 left" in line


def test_the_progress_line_before_any_rate_is_known():
    assert "--:-- left" in progress_line("x", 0, 100, 0.0)


def test_progress_on_a_pipe_prints_whole_lines(tmp_path, server):
    stream = io.StringIO()
    fetch(server.url + "ts-train.txt", tmp_path / "t.txt", len(TRAIN), FILES[0].sha256, timeout=5,
          stream=stream, chunk=512)
    lines = stream.getvalue().splitlines()
    assert lines and "\r" not in stream.getvalue() and "100%" in lines[-1]
