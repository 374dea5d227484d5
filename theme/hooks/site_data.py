"""Site-wide data for the templates: the hotlines (``content/data/hotlines.yml``) as ``config.extra.hotlines``."""

from __future__ import annotations

from pathlib import Path

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    path = Path(config.docs_dir) / "data" / "hotlines.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PluginError(f"{path}: thiếu tệp dữ liệu đường dây nóng") from None
    except yaml.YAMLError as exc:
        raise PluginError(f"{path}: YAML không hợp lệ: {exc}") from None
    config.extra["hotlines"] = data
    return config
