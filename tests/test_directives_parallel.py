"""Large sites render directives in worker processes: the output must be the same as in one process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.build_time import generate
from functions.config import REPO_ROOT


def _build(project: Path, dest: Path, parallel_from: int) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "BVTE_DIRECTIVES_PARALLEL_FROM": str(parallel_from)}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(dest)],
                            cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]


def test_worker_rendering_gives_the_same_site_as_one_process(tmp_path):
    project = tmp_path / "project"
    for name in ("content", "theme"):
        shutil.copytree(REPO_ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "mkdocs.yml", project / "mkdocs.yml")
    generate(project / "content" / "van-ban" / "thu", 60)
    _build(project, tmp_path / "serial", parallel_from=100_000)
    _build(project, tmp_path / "parallel", parallel_from=1)
    serial = {p.relative_to(tmp_path / "serial"): p for p in (tmp_path / "serial").rglob("*") if p.is_file()}
    parallel = {p.relative_to(tmp_path / "parallel"): p for p in (tmp_path / "parallel").rglob("*") if p.is_file()}
    assert serial.keys() == parallel.keys()
    # The XLSX template records its creation time; every other file must match byte for byte.
    differing = [str(rel) for rel, path in serial.items()
                 if rel.suffix != ".xlsx" and path.read_bytes() != parallel[rel].read_bytes()]
    assert differing == []
    pages = [rel for rel in serial if str(rel).startswith("van-ban/thu/") and rel.name == "index.html"]
    assert len(pages) == 60
