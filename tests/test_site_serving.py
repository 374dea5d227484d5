"""The Flask server sends the built site pre-compressed, with the right cache lifetimes."""

import brotli
import gzip


def test_home_page_is_sent_as_brotli_when_accepted(client, built_site):
    response = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert "<html" in brotli.decompress(response.data).decode("utf-8")


def test_home_page_falls_back_to_gzip_then_identity(client, built_site):
    gz = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip"
    assert "<html" in gzip.decompress(gz.data).decode("utf-8")
    plain = client.get("/", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert "<html" in plain.get_data(as_text=True)
    assert plain.headers["Content-Type"].startswith("text/html")


def test_fingerprinted_assets_are_cached_for_a_year_pages_revalidate(client, built_site):
    bundle = next((built_site / "assets" / "javascripts").glob("bundle.*.min.js"))
    asset = client.get(f"/assets/javascripts/{bundle.name}", headers={"Accept-Encoding": "br"})
    assert asset.status_code == 200
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert asset.headers["Content-Type"].startswith(("application/javascript", "text/javascript"))
    page = client.get("/")
    assert page.headers["Cache-Control"] == "no-cache"
    assert client.get("/", headers={"If-None-Match": page.headers["ETag"]}).status_code == 304


def test_directory_without_slash_redirects_and_unknown_page_is_404(client, built_site):
    assert client.get("/duong-day-nong").status_code == 301
    missing = client.get("/khong-ton-tai/")
    assert missing.status_code == 404
    assert "<html" in missing.get_data(as_text=True)


def test_paths_outside_the_site_are_refused(client, built_site):
    assert client.get("/../pyproject.toml").status_code == 404
    assert client.get("/%2e%2e/pyproject.toml").status_code == 404


def test_every_text_file_of_the_build_has_identical_compressed_twins(built_site):
    import os

    checked = 0
    for dirpath, _dirs, names in os.walk(built_site):
        for name in names:
            path = os.path.join(dirpath, name)
            if name.endswith((".html", ".css", ".js", ".json", ".xml", ".svg")) and os.path.getsize(path) >= 512:
                original = open(path, "rb").read()
                assert brotli.decompress(open(path + ".br", "rb").read()) == original, path
                assert gzip.decompress(open(path + ".gz", "rb").read()) == original, path
                checked += 1
    assert checked >= 5


def test_brotli_quality_trades_ratio_for_time_only_where_it_must():
    from pathlib import Path

    hook = _compress_hook()
    assert hook.brotli_quality(Path("index.html"), 20_000, html_pages=50) == 11
    assert hook.brotli_quality(Path("a.css"), 20_000, html_pages=10_000) == 11
    assert hook.brotli_quality(Path("index.html"), 20_000, html_pages=10_000) == 7
    assert hook.brotli_quality(Path("search_index.json"), 30_000_000, html_pages=50) == 9


def _compress_hook():
    import importlib.util

    from functions.config import REPO_ROOT

    spec = importlib.util.spec_from_file_location("compress_hook", REPO_ROOT / "theme" / "hooks" / "compress.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    return hook


def _twins(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".br", ".gz")}


def test_compressed_twins_come_from_the_cache_only_when_they_unpack_to_the_same_bytes(tmp_path, monkeypatch):
    hook = _compress_hook()
    cache = tmp_path / "cache"
    pages = {"index.html": "<p>Gọi 111</p>" * 200, "a.js": "var x = 1;\n" * 300}

    def build(name: str):
        folder = tmp_path / name
        folder.mkdir()
        for file, text in pages.items():
            (folder / file).write_text(text, encoding="utf-8")
        hook.compress_tree(folder, cache)
        return folder

    cold = _twins(build("cold"))
    entries = sorted(cache.rglob("*.*"))
    assert len(entries) == 4 and len(cold) == 4  # a .br and a .gz per file, each kept once
    for entry in entries:  # every kept twin is the very one the build shipped
        assert entry.read_bytes() in cold.values()
    assert _twins(build("warm")) == cold
    # A damaged entry, and one that is valid brotli of other bytes, are made again and never shipped.
    br = [e for e in entries if ".br" in e.name]
    br[0].write_bytes(b"junk")
    br[1].write_bytes(brotli.compress(b"something else"))
    assert _twins(build("repaired")) == cold
    assert sorted(e.read_bytes() for e in br) == sorted(v for k, v in cold.items() if k.endswith(".br"))
    for name, twin in cold.items():
        unpack = brotli.decompress if name.endswith(".br") else gzip.decompress
        assert unpack(twin).decode("utf-8") == pages[name[:-3]]


def test_the_compression_cache_can_be_turned_off_and_defaults_to_the_user_cache(monkeypatch, tmp_path):
    hook = _compress_hook()
    monkeypatch.setenv(hook.CACHE_ENV, "")
    assert hook.cache_folder() is None
    monkeypatch.delenv(hook.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert hook.cache_folder() == tmp_path / "bvte" / "compressed"


def test_extra_stylesheets_arrive_as_one_fingerprinted_file_cached_for_a_year(client, built_site):
    import re

    import yaml

    from functions.config import REPO_ROOT

    html = (built_site / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    ours = [href for href in links if "assets/css/" in href]
    assert len(ours) == 1 and re.search(r"site\.[0-9a-f]{10}\.css$", ours[0]), links
    bundle = (built_site / "index.html").parent.joinpath(ours[0]).read_text(encoding="utf-8")
    listed = yaml.safe_load((REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8").replace("!!python", "x"))["extra_css"]
    positions = []
    for rel in listed:
        text = (REPO_ROOT / "theme" / rel).read_text(encoding="utf-8")
        assert text in bundle, rel
        positions.append(bundle.index(text))
    assert positions == sorted(positions)  # the cascade order of mkdocs.yml is kept
    response = client.get("/" + ours[0].lstrip("./"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_only_fingerprinted_assets_are_cached_for_a_year_here_and_on_cloudfront(client, built_site):
    import sys

    from functions.config import REPO_ROOT

    # Our own feature scripts keep their names across releases: they must revalidate.
    script = client.get("/assets/js/quick-exit.js")
    assert script.status_code == 200 and script.headers["Cache-Control"] == "no-cache"
    sys.path.insert(0, str(REPO_ROOT / "deploy"))
    try:
        import upload_site
    finally:
        sys.path.pop(0)
    assert upload_site.cache_control("assets/js/quick-exit.js") == "public, max-age=300"
    assert upload_site.cache_control("assets/javascripts/bundle.a5f9d56c.min.js").endswith("immutable")
    assert upload_site.cache_control("assets/css/site.32ea244cf3.css.br").endswith("immutable")
    nginx = (REPO_ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert "location /assets/ {" not in nginx and r"\.[0-9a-f]{8,}\.(min\.)?(js|css)$" in nginx


def test_pages_carry_the_same_csp_as_nginx(client, built_site):
    from functions.api.security import SITE_CSP
    from functions.config import REPO_ROOT

    page = client.get("/bao-tin/")
    assert page.headers["Content-Security-Policy"] == SITE_CSP
    assert "default-src 'self'" in SITE_CSP and "frame-ancestors 'none'" in SITE_CSP
    nginx = (REPO_ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert f'add_header Content-Security-Policy "{SITE_CSP}" always;' in nginx
