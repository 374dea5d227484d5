"""Visitor counter: exact counts under concurrency, Vietnam's calendar, no cookies, no addresses, no bots."""

from __future__ import annotations

import concurrent.futures
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from functions.commands.serve import wsgi_server
from s3_servers import s3_storage
from functions.api import visits as visits_api
from functions.config import Config
from functions.core import visits
from functions.storage import StorageUnavailable
from functions.web import context, create_app

PHONE_UA = "Mozilla/5.0 (Linux; Android 10; SM-A105F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
COCCOC_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) coc_coc_browser/120.0 Chrome/120.0 Safari/537.36"


def utc(*args) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


class Clock:
    """A settable clock injected into the handlers through the context cache."""

    def __init__(self, ts: float):
        self.ts = ts

    def __call__(self) -> float:
        return self.ts


@pytest.fixture
def vapp(tmp_path):
    # The counter needs no built site: keep these tests independent of the content build.
    # No reuse of figures, so each read shows the previous write (reuse is tested on its own below).
    return create_app(Config(data_dir=tmp_path / "var", site_dir=tmp_path / "empty-site", testing=True,
                             visits_cache_seconds=0))


@pytest.fixture
def vclient(vapp):
    return vapp.test_client()


def set_clock(app, ts: float) -> Clock:
    clock = Clock(ts)
    context(app).cache[visits_api.CLOCK] = clock
    return clock


def figures(client) -> dict:
    response = client.get("/api/visits")
    assert response.status_code == 200
    return response.get_json()


def test_200_concurrent_hits_are_all_counted(vapp, tmp_path):
    # 20 distinct visitors, each on 10 pages (issue 15: a visitor counts once per page in a few minutes,
    # so 200 views are now 200 distinct visitor-and-page pairs sent at once).
    hits = [(f"{PHONE_UA} v{i % 20}", f"/page-{i // 20}/") for i in range(200)]
    with wsgi_server(vapp) as server:
        def hit(ua_and_page: tuple[str, str]) -> int:
            ua, page = ua_and_page
            return requests.post(server.url + "/api/visits", timeout=60,
                                 headers={"User-Agent": ua, "Referer": server.url + page}).status_code

        with concurrent.futures.ThreadPoolExecutor(max_workers=40) as pool:
            statuses = list(pool.map(hit, hits))
        result = requests.get(server.url + "/api/visits", timeout=30).json()
    assert statuses == [204] * 200
    assert (result["today"], result["week"], result["month"], result["total"]) == (200, 200, 200, 200)
    assert result["online"] == 20
    assert result["counts"] == "page_views"


def test_beacon_answers_204_without_body_or_cookie(vclient):
    response = vclient.post("/api/visits", headers={"User-Agent": PHONE_UA})
    assert response.status_code == 204
    assert response.data == b""
    assert "Set-Cookie" not in response.headers
    response = vclient.get("/api/visits")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json()["total"] == 1


def test_day_rolls_over_at_midnight_in_vietnam(vapp, vclient):
    # Sunday 12/7/2026 23:59:30 in Vietnam is 16:59:30 UTC: a UTC calendar would still say the 12th
    # after midnight, so these figures only come out right on Vietnam's clock.
    clock = set_clock(vapp, utc(2026, 7, 12, 16, 59, 30))
    for page in ("/", "/bao-tin/", "/tra-cuu/"):  # three pages: one view each
        vclient.post("/api/visits", headers={"User-Agent": PHONE_UA, "Referer": f"http://localhost{page}"})
    before = figures(vclient)
    assert (before["today"], before["week"], before["month"], before["total"]) == (3, 3, 3, 3)

    clock.ts = utc(2026, 7, 12, 17, 0, 30)  # Monday 13/7 00:00:30 in Vietnam: new day, new ISO week
    after_midnight = figures(vclient)
    assert (after_midnight["today"], after_midnight["week"], after_midnight["month"], after_midnight["total"]) == (0, 0, 3, 3)
    vclient.post("/api/visits", headers={"User-Agent": PHONE_UA})
    later = figures(vclient)
    assert (later["today"], later["week"], later["month"], later["total"]) == (1, 1, 4, 4)


def test_month_rolls_over_in_vietnam():
    # 31/7/2026 17:30 UTC is already 1/8 00:30 in Vietnam.
    keys = visits.period_keys(utc(2026, 7, 31, 17, 30))
    assert keys["today"].endswith("/2026-08-01")
    assert keys["month"].endswith("/2026-08")
    assert visits.period_keys(utc(2026, 7, 31, 16, 30))["month"].endswith("/2026-07")
    # ISO weeks: 1/1/2027 is a Friday, in week 53 of 2026.
    assert visits.period_keys(utc(2027, 1, 1, 5))["week"].endswith("/2026-W53")


def test_bots_prefetches_head_and_cross_site_beacons_are_not_counted(vclient):
    not_counted = [
        {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
        {"User-Agent": "facebookexternalhit/1.1"},
        {"User-Agent": "curl/8.5.0"},
        {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0 Safari/537.36"},
        {"User-Agent": ""},  # no user agent at all
        {"User-Agent": PHONE_UA, "Sec-Purpose": "prefetch"},
        {"User-Agent": PHONE_UA, "Sec-Purpose": "prefetch;prerender"},
        {"User-Agent": PHONE_UA, "Purpose": "prefetch"},
        {"User-Agent": PHONE_UA, "Origin": "https://example.org"},
    ]
    for headers in not_counted:
        response = vclient.post("/api/visits", headers=headers)
        assert response.status_code == 204, headers
    assert vclient.head("/api/visits", headers={"User-Agent": PHONE_UA}).status_code in (200, 405)
    assert figures(vclient)["total"] == 0
    # People are counted, including Vietnam's Cốc Cốc browser and a Cubot phone.
    vclient.post("/api/visits", headers={"User-Agent": PHONE_UA})
    vclient.post("/api/visits", headers={"User-Agent": COCCOC_UA})
    vclient.post("/api/visits", headers={"User-Agent": "Mozilla/5.0 (Linux; Android 9; CUBOT X19) Chrome/119.0 Mobile"})
    vclient.post("/api/visits", headers={"User-Agent": PHONE_UA, "Origin": "http://localhost",  # same origin
                                         "Referer": "http://localhost/bao-tin/"})  # (another page: one view)
    assert figures(vclient)["total"] == 4


def test_no_address_or_user_agent_in_storage(vapp, tmp_path):
    address = "203.0.113.77"
    ua = PHONE_UA + " marker-ua-1234"
    client = vapp.test_client()
    for page in ("/", "/bao-tin/", "/bi-mat-dia-chi-9/"):
        client.post("/api/visits", headers={"User-Agent": ua, "Referer": f"http://localhost{page}"},
                    environ_base={"REMOTE_ADDR": address})
    with wsgi_server(vapp) as server:
        requests.post(server.url + "/api/visits", headers={"User-Agent": ua}, timeout=30)
    assert figures(client)["total"] == 4
    data_dir = context(vapp).config.data_dir
    files = [p for p in Path(data_dir).rglob("*")]
    assert files, "the counter stored nothing at all"
    for path in files:
        for needle in (address, "127.0.0.1", "marker-ua-1234", "bi-mat-dia-chi-9"):
            assert needle not in str(path.relative_to(data_dir)), path
            if path.is_file():
                assert needle.encode() not in path.read_bytes(), path


def test_online_counts_distinct_visitors_of_the_last_five_minutes(vapp, vclient):
    clock = set_clock(vapp, utc(2026, 7, 13, 3, 0, 10))
    for ua, page in (("a", "/"), ("b", "/"), ("a", "/bao-tin/"), ("a", "/tra-cuu/")):
        vclient.post("/api/visits", headers={"User-Agent": f"{PHONE_UA} {ua}", "Referer": f"http://localhost{page}"})
    assert figures(vclient)["online"] == 2
    # The same visitors from another address are other visitors.
    vclient.post("/api/visits", headers={"User-Agent": f"{PHONE_UA} a"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert figures(vclient)["online"] == 3
    clock.ts += 20 * 60  # twenty minutes of silence
    result = figures(vclient)
    assert result["online"] == 0
    assert result["today"] == 5


def test_visitor_key_changes_daily():
    secret = b"k" * 32
    morning = utc(2026, 7, 13, 1)  # 08:00 in Vietnam
    evening = utc(2026, 7, 13, 14)  # 21:00 in Vietnam, same day
    next_day = utc(2026, 7, 13, 18)  # 01:00 on the 14th in Vietnam
    same = visits.visitor_hash(secret, morning, "1.2.3.4", PHONE_UA)
    assert same == visits.visitor_hash(secret, evening, "1.2.3.4", PHONE_UA)
    assert same != visits.visitor_hash(secret, next_day, "1.2.3.4", PHONE_UA)
    assert same != visits.visitor_hash(b"x" * 32, morning, "1.2.3.4", PHONE_UA)
    assert "1.2.3.4" not in same


def test_figures_are_reused_for_a_few_seconds_only(tmp_path):
    app = create_app(Config(data_dir=tmp_path / "var", site_dir=tmp_path, testing=True, visits_cache_seconds=5))
    client = app.test_client()
    clock = set_clock(app, utc(2026, 7, 13, 3, 0, 0))
    assert figures(client)["total"] == 0
    client.post("/api/visits", headers={"User-Agent": PHONE_UA})
    clock.ts += 4
    assert figures(client)["total"] == 0  # still the figures read 4 s ago
    clock.ts += 1
    assert figures(client)["total"] == 1  # 5 s later: read again


class BrokenStorage:
    name = "broken"

    def __getattr__(self, _name):
        def fail(*_args, **_kwargs):
            raise StorageUnavailable("down")

        return fail


def test_storage_down_answers_503_json(tmp_path):
    app = create_app(Config(data_dir=tmp_path / "var", site_dir=tmp_path, testing=True), storage=BrokenStorage())
    client = app.test_client()
    response = client.get("/api/visits")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "storage_unavailable"
    assert client.post("/api/visits", headers={"User-Agent": PHONE_UA}).status_code == 503


@pytest.mark.s3
@pytest.mark.parametrize("counters", ["s3-compare-and-swap", "dynamodb"])
def test_cloud_backends_lose_no_hits(request, counters):
    """The same counter on S3 (SeaweedFS, a real S3 server), its counters either by conditional writes or
    in DynamoDB (moto server, one request at a time as DynamoDB's atomic ADD behaves): 60 views from 20
    threads at once, 60 counted, no address stored. (200 views took 28 s on SeaweedFS, nearly all of it
    threads waiting their turn at the same four counters; 20 at once is the contention that matters.)"""
    dynamodb = request.getfixturevalue("dynamodb") if counters == "dynamodb" else None
    storage = s3_storage(request.getfixturevalue("seaweedfs"), *([dynamodb] if dynamodb else []))
    now = utc(2026, 7, 13, 3, 0, 10)
    secret = b"s" * 32

    def hit(i: int) -> None:  # 10 visitors on 6 pages each
        visits.record_view(storage, secret, now, "198.51.100.7", f"{PHONE_UA} v{i % 10}", f"/page-{i // 10}/")

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(hit, range(60)))
    counts = visits.read_counts(storage, now)
    assert (counts.today, counts.week, counts.month, counts.total, counts.online) == (60, 60, 60, 60, 10)
    assert not any("198.51.100.7" in key for key in storage.list(""))



def test_one_client_cannot_inflate_the_counter_or_fill_storage_with_markers(vapp, vclient, tmp_path):
    # Issue 15: one client added 1,000 views in 6 s, and a marker file per User-Agent without end.
    set_clock(vapp, utc(2026, 7, 12, 3, 0, 0))
    limit = context(vapp).config.visits_per_client_per_hour
    for i in range(limit + 50):
        assert vclient.post("/api/visits", headers={"User-Agent": f"{PHONE_UA} v{i}"}).status_code == 204
    assert figures(vclient)["total"] == limit
    markers = list(context(vapp).storage.list("visits/seen/"))
    assert len(markers) == 2 * limit  # per counted beacon: its view marker and its visitor's online marker
    other = vclient.post("/api/visits", headers={"User-Agent": PHONE_UA}, environ_base={"REMOTE_ADDR": "127.0.0.5"})
    assert other.status_code == 204 and figures(vclient)["total"] == limit + 1  # another client still counts


def test_a_visitor_counts_once_per_page_per_few_minutes(vapp, vclient):
    # Issue 15: one client could add 1,000 views in 6 s by reloading; now a reload within the same
    # 5-minute window adds nothing, another page or a later window adds one.
    clock = set_clock(vapp, utc(2026, 7, 13, 3, 0, 10))
    home = {"User-Agent": PHONE_UA, "Referer": "http://localhost/"}
    for _ in range(50):
        assert vclient.post("/api/visits", headers=home).status_code == 204
    assert figures(vclient)["total"] == 1
    vclient.post("/api/visits", headers={**home, "Referer": "http://localhost/bao-tin/?x=1"})
    vclient.post("/api/visits", headers={**home, "Referer": "http://localhost/bao-tin/?x=2"})  # the same page
    vclient.post("/api/visits", headers={"User-Agent": COCCOC_UA, "Referer": "http://localhost/"})  # another visitor
    assert figures(vclient)["total"] == 3
    clock.ts += visits.WINDOW_SECONDS
    vclient.post("/api/visits", headers=home)
    assert figures(vclient)["total"] == 4
    vclient.post("/api/visits", headers={**home, "Referer": "http://[broken"})  # no page it can name: ""
    assert figures(vclient)["total"] == 5
