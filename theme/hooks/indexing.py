"""What search engines see: ``site_url`` from the deployment's setting, ``robots.txt`` and the sitemap.

``BVTE_SITE_URL`` (e.g. ``https://baovetreem.example.vn/``) sets mkdocs' ``site_url`` at build time, so the
sitemap lists real addresses and every page carries its canonical link. ``robots.txt`` keeps crawlers off
the functions' page shell (``/_shell/``, also ``noindex`` and left out of the sitemap) and names the sitemap.
"""

from __future__ import annotations

import os

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files


def robots_txt(site_url: str | None) -> str:
    """The robots.txt: everything but /_shell/ may be indexed; the sitemap's address when it is known."""
    lines = ["User-agent: *", "Disallow: /_shell/", "Disallow: /api/"]
    if site_url:
        lines.append(f"Sitemap: {site_url.rstrip('/')}/sitemap.xml")
    return "\n".join(lines) + "\n"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    url = os.environ.get("BVTE_SITE_URL", "").strip()
    if url:
        config.site_url = url if url.endswith("/") else url + "/"
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    files.append(File.generated(config, "robots.txt", content=robots_txt(config.site_url)))
    return files
