"""What search engines see, from the built site: robots.txt keeps crawlers off /_shell/, the sitemap does
not list it and the shell says noindex; the deployment guide is out of the parents' navigation but keeps
its address; ``BVTE_SITE_URL`` becomes mkdocs' ``site_url`` (sitemap addresses and canonical links)."""

from __future__ import annotations

import importlib.util

import pytest

from functions.config import REPO_ROOT

_spec = importlib.util.spec_from_file_location("indexing", REPO_ROOT / "theme" / "hooks" / "indexing.py")
indexing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(indexing)


def test_robots_txt_is_built_and_keeps_crawlers_off_the_shell(built_site):
    robots = (built_site / "robots.txt").read_text(encoding="utf-8")
    assert "User-agent: *" in robots and "Disallow: /_shell/" in robots


def test_the_shell_is_not_in_the_sitemap_and_says_noindex(built_site):
    sitemap = (built_site / "sitemap.xml").read_text(encoding="utf-8")
    assert "<urlset" in sitemap and "_shell" not in sitemap
    assert '<meta name="robots" content="noindex">' in (built_site / "_shell" / "index.html").read_text(encoding="utf-8")


def test_the_deployment_guide_keeps_its_address_but_is_not_in_the_navigation(built_site):
    assert (built_site / "trien-khai" / "index.html").is_file()
    for page in ("index.html", "bao-tin/index.html", "duong-day-nong/index.html"):
        assert "trien-khai/" not in (built_site / page).read_text(encoding="utf-8"), page


def test_robots_txt_names_the_sitemap_when_the_site_url_is_known():
    assert indexing.robots_txt("https://baovetreem.example.vn/").splitlines()[-1] == (
        "Sitemap: https://baovetreem.example.vn/sitemap.xml")
    assert "Sitemap" not in indexing.robots_txt(None)


@pytest.mark.parametrize("value, expected", [("https://bvte.example.vn", "https://bvte.example.vn/"),
                                             ("https://bvte.example.vn/", "https://bvte.example.vn/")])
def test_bvte_site_url_sets_site_url(monkeypatch, value, expected):
    class Config:
        site_url = None
    monkeypatch.setenv("BVTE_SITE_URL", value)
    assert indexing.on_config(Config()).site_url == expected
