"""The data browser under bad requests: malformed paths 404, foreign Host headers refused, errors logged
in one line (never a traceback per request), and good requests still answered while bad ones pour in.

Each test failed on 0.6.0, where `//etc/passwd` answered 500 and every error printed a rich
traceback with locals on the event loop. How fast good requests stay under load is measured in
benchmarks/serve_load.py; here the load test checks that every request is answered, correctly.
"""
from __future__ import annotations

import http.client
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from rare_earth_supply.publish.guard import allowed_hosts, malformed
from conftest import serving

BAD_PATHS = ["//etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/rare-earth-supply/..%2f..%2fetc", "/%00", "/a\\b",
             "/rare-earth-supply/no_such_table", "/rare-earth-supply/no_such_table.json",
             "/rare-earth-supply.json?sql=" + urllib.parse.quote("SELECT * FROM nowhere")]


@pytest.fixture(scope="module")
def server(release_sqlite, tmp_path_factory):
    log = tmp_path_factory.mktemp("guard") / "stderr.log"
    with serving(release_sqlite, log) as url:
        parts = urlsplit(url)
        yield parts.hostname, parts.port, log


def _request(server, path: str, host: str | None = None) -> tuple[int, bytes]:
    hostname, port, _ = server
    connection = http.client.HTTPConnection(hostname, port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", f"{hostname}:{port}" if host is None else host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["//etc/passwd", "/%2e%2e/x", "/a/../b", "/%00", "relative", "/a\\b"])
def test_malformed_paths_are_recognised(path):
    assert malformed(path)


@pytest.mark.parametrize("path", ["/", "/rare-earth-supply/production", "/rare-earth-supply.json", "/-/static/app.css"])
def test_ordinary_paths_are_not(path):
    assert not malformed(path)


def test_allowed_hosts_name_the_loopback_with_its_port():
    assert allowed_hosts("127.0.0.1", 8001) == {"127.0.0.1:8001", "localhost:8001"}


@pytest.mark.parametrize("path", ["//etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%00"])
def test_malformed_paths_answer_404(server, path):
    status, body = _request(server, path)
    assert status == 404 and b"root:" not in body


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.nip.io", ""])
def test_a_foreign_host_header_is_refused(server, host):
    status, _ = _request(server, "/rare-earth-supply.json", host=host)
    assert status == 421
    assert _request(server, "/rare-earth-supply.json")[0] == 200
    assert _request(server, "/rare-earth-supply.json", host=f"localhost:{server[1]}")[0] == 200


def test_errors_cost_one_line_each_never_a_traceback(server):
    _, _, log = server
    before = log.read_text(encoding="utf-8").count("\n")
    for path in BAD_PATHS:
        status, _ = _request(server, path)
        assert 400 <= status < 500, (path, status)
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text and "locals" not in text.lower()
    assert text.count("\n") - before <= len(BAD_PATHS), text[-2000:]


def test_good_requests_are_answered_while_bad_ones_pour_in(server):
    """200 bad requests and 40 good ones at once, from 16 threads: every good one gets its rows."""
    bad = [BAD_PATHS[i % len(BAD_PATHS)] for i in range(200)]
    good = ["/rare-earth-supply/production.json?_shape=array&entity_id=cn"] * 40
    jobs = [("bad", p) for p in bad] + [("good", p) for p in good]
    jobs = [jobs[i] for i in sorted(range(len(jobs)), key=lambda i: (i * 7919) % len(jobs))]  # interleaved
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda job: (job[0], *_request(server, job[1])), jobs))
    goods = [(status, body) for kind, status, body in answers if kind == "good"]
    assert len(goods) == 40 and all(status == 200 and b'"entity_id": "cn"' in body.replace(b'":"', b'": "') for status, body in goods)
    assert all(400 <= status < 500 for kind, status, _ in answers if kind == "bad")
    assert "Traceback" not in server[2].read_text(encoding="utf-8")
