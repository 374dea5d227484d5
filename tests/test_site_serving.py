"""The Flask server sends the built site pre-compressed, with the right cache lifetimes."""

import brotli
import gzip


def test_home_page_is_sent_as_brotli_when_accepted(client):
    response = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert "<html" in brotli.decompress(response.data).decode("utf-8")


def test_home_page_falls_back_to_gzip_then_identity(client):
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


def test_directory_without_slash_redirects_and_unknown_page_is_404(client):
    assert client.get("/duong-day-nong").status_code == 301
    missing = client.get("/khong-ton-tai/")
    assert missing.status_code == 404
    assert "<html" in missing.get_data(as_text=True)


def test_paths_outside_the_site_are_refused(client):
    assert client.get("/../pyproject.toml").status_code == 404
    assert client.get("/%2e%2e/pyproject.toml").status_code == 404
