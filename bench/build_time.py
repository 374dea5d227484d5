"""Build time against the number of directives: this site vs plain mkdocs-material vs Zensical.

For 100, 1,000 and 10,000 generated directives (the seed directive's text, with varied numbers, dates,
issuers and trích yếu) this script times, in the same run, on the same machine:

- **this site**: a temporary copy of the project (mkdocs.yml, content/, theme/) with the directives added
  under ``content/van-ban/``, built ``mkdocs build --strict`` — directives out of the nav, reached through the
  generated index pages; also the same build without ``theme/hooks/compress.py`` to show its share;
- **plain material**: the same Markdown files in a bare mkdocs-material project with its default navigation
  (every page in the nav). That grows with the square of the pages (DESIGN.md), so it is capped: above
  ``--material-cap`` pages (default 1,000) it is not run and a quadratic extrapolation is printed instead;
- **Zensical** (``zensical`` from PyPI, in its own venv, default ``/tmp/zensical-venv``; created if missing):
  the same bare project, cold cache. With every page in its default nav it grows quadratically too
  (measured: 1,000 pages ~30x the time of 100), so it is capped the same way (``--zensical-cap``).

Figures are CPU seconds (user + system) of one build each, wall-clock seconds beside them: the machine is
shared, so wall time also measures the neighbours. Linear growth shows as a constant time per 1,000 directives.

    .venv/bin/python -m bench.build_time [--sizes 100 1000 10000] [--material-cap 1000]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "content/van-ban/2024-cong-van-tang-cuong-bao-ve-cham-soc-tre-em.md"
ZENSICAL_VENV = Path(os.environ.get("BVTE_ZENSICAL_VENV", "/tmp/zensical-venv"))
ISSUERS = [
    ("Ủy ban nhân dân huyện Mường Ảng", ["ỦY BAN NHÂN DÂN", "HUYỆN MƯỜNG ẢNG"]),
    ("Ủy ban nhân dân tỉnh Điện Biên", ["ỦY BAN NHÂN DÂN", "TỈNH ĐIỆN BIÊN"]),
    ("Phòng Văn hóa - Xã hội", ["ỦY BAN NHÂN DÂN XÃ MƯỜNG ẢNG", "PHÒNG VĂN HÓA - XÃ HỘI"]),
]
TOPICS = ["phòng, chống xâm hại trẻ em", "phòng, chống đuối nước trẻ em", "xây dựng xã phù hợp với trẻ em",
          "tháng hành động vì trẻ em", "phòng, chống tảo hôn", "chăm sóc trẻ em có hoàn cảnh đặc biệt"]


def _seed_parts() -> tuple[str, str]:
    text = SEED.read_text(encoding="utf-8")
    m = re.match(r"\A---\n(.*?\n)---\n(.*)\Z", text, re.S)
    return m.group(1), m.group(2)


def generate(folder: Path, count: int) -> None:
    """``count`` directives like the seed, into ``folder`` (numbers unique per issuer and year)."""
    front, body = _seed_parts()
    front = re.sub(r"^(corrections|notes):.*?(?=^\S|\Z)", "", front, flags=re.S | re.M)  # the seed's own notes
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        name, header = ISSUERS[i % len(ISSUERS)]
        year = 2015 + i % 11
        meta = (re.sub(r"^date: 2024$", f"date: {year}-{i % 12 + 1:02d}-{i % 28 + 1:02d}", front, flags=re.M)
                .replace("number: null", f"number: {i // 33 + 1}")
                .replace("  name: Ủy ban nhân dân huyện Mường Ảng", f"  name: {name}")
                .replace("  header: [ỦY BAN NHÂN DÂN, HUYỆN MƯỜNG ẢNG]", f"  header: [{', '.join(header)}]")
                .replace("subject: tăng cường thực hiện các hoạt động bảo vệ, chăm sóc trẻ em trên địa bàn huyện năm 2024",
                         f"subject: tăng cường {TOPICS[i % len(TOPICS)]} (văn bản thử {i})"))
        (folder / f"thu-{i:05d}.md").write_text(f"---\n{meta}---\n\n{body}", encoding="utf-8")


class Timing(float):
    """CPU seconds (user + system) of one build, with its wall-clock seconds as ``.wall``.

    The machine is shared by several jobs: wall time measures the neighbours as much as the build, so
    the ratios are taken on CPU time; wall time is printed alongside.
    """

    wall: float


def _run(cmd: list[str], cwd: Path, env: dict | None = None) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    timing = Timing(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    timing.wall = wall
    return timing


def this_site(work: Path, count: int, *, compress: bool = True) -> float:
    project = work / f"site-{count}-{int(compress)}"
    for name in ("content", "theme"):
        shutil.copytree(REPO / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    if not compress:
        config = config.replace("  - theme/hooks/compress.py\n", "")
    (project / "mkdocs.yml").write_text(config, encoding="utf-8")
    generate(project / "content/van-ban/thu", count)
    try:
        return _run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(project / "out")],
                    project, {"NO_MKDOCS_2_WARNING": "1", "BVTE_COMPRESS_CACHE": ""})  # the full cost, every time
    finally:
        shutil.rmtree(project, ignore_errors=True)


def _bare(work: Path, tag: str, count: int) -> Path:
    project = work / f"{tag}-{count}"
    docs = project / "docs"
    generate(docs / "van-ban", count)
    (docs / "index.md").write_text("# Trang chủ\n", encoding="utf-8")
    (project / "mkdocs.yml").write_text(
        "site_name: Thử\ndocs_dir: docs\nsite_dir: out\ntheme:\n  name: material\n  language: vi\n", encoding="utf-8")
    return project


def plain_material(work: Path, count: int) -> float:
    project = _bare(work, "material", count)
    try:
        return _run([sys.executable, "-m", "mkdocs", "build", "-q"], project, {"NO_MKDOCS_2_WARNING": "1"})
    finally:
        shutil.rmtree(project, ignore_errors=True)


def zensical(work: Path, count: int) -> float:
    exe = ZENSICAL_VENV / "bin/zensical"
    project = _bare(work, "zensical", count)
    try:
        return _run([str(exe), "build", "--clean", "-f", "mkdocs.yml"], project)
    finally:
        shutil.rmtree(project, ignore_errors=True)


def ensure_zensical() -> str:
    exe = ZENSICAL_VENV / "bin/zensical"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(ZENSICAL_VENV)], check=True)
        subprocess.run([str(ZENSICAL_VENV / "bin/pip"), "install", "-q", "zensical"], check=True)
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--material-cap", type=int, default=1000)
    parser.add_argument("--zensical-cap", type=int, default=1000)
    args = parser.parse_args(argv if argv is not None else [])
    print(f"zensical: {ensure_zensical()}; cores: {os.cpu_count()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bvte-bench-build-") as tmp:
        work = Path(tmp)
        for n in args.sizes:
            site = this_site(work, n)
            bare = this_site(work, n, compress=False)
            material = plain_material(work, n) if n <= args.material_cap else None
            zen = zensical(work, n) if n <= args.zensical_cap else None
            rows.append((n, site, bare, material, zen))
            print(f"  {n:>6} directives, CPU (wall) s: this site {site:.1f} ({site.wall:.1f}), without compress "
                  f"{bare:.1f} ({bare.wall:.1f}), plain material "
                  f"{'capped' if material is None else f'{material:.1f} ({material.wall:.1f})'}, "
                  f"zensical {'capped' if zen is None else f'{zen:.1f} ({zen.wall:.1f})'}", flush=True)
    print()
    print("CPU seconds (user + system); wall-clock seconds in brackets.\n")
    print("| directives | this site | of which compress | CPU s per 1,000 | plain material, all in nav "
          "| this site / material | Zensical | this site / Zensical |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    measured = [(n, m) for n, *_rest, m, _z in rows if m is not None]
    measured_zen = [(n, z) for n, *_rest, z in rows if z is not None]

    def cell(n: int, value: Timing | None, known: list) -> tuple[str, float | None]:
        if value is not None:
            return f"{value:.1f} ({value.wall:.1f})", float(value)
        if not known:
            return "not run (> cap)", None
        n0, v0 = known[-1]
        estimate = v0 * (n / n0) ** 2
        return f"not run (> cap); quadratic estimate ≈ {estimate:,.0f}", estimate

    for n, site, bare, material, zen in rows:
        mat, m = cell(n, material, measured)
        zcell, z = cell(n, zen, measured_zen)
        est = "≈ " if material is None else ""
        zest = "≈ " if zen is None else ""
        print(f"| {n:,} | {site:.1f} ({site.wall:.1f}) | {site - bare:.1f} | {site / n * 1000:.1f} | {mat} | "
              f"{est}{site / m if m else float('nan'):.3g} | {zcell} | {zest}{site / z if z else float('nan'):.3g} |")
    if len(rows) >= 2:
        (n1, s1, b1, *_), (n2, s2, b2, *_) = rows[-2], rows[-1]
        print(f"\nGrowth {n1:,} → {n2:,} directives (×{n2 / n1:g}): this site ×{s2 / s1:.1f} "
              f"(without compress ×{b2 / b1:.1f}); linear would be ×{n2 / n1:g}, quadratic ×{(n2 / n1) ** 2:g}.")
        if len(measured) >= 2:
            (m1n, m1), (m2n, m2) = measured[-2], measured[-1]
            print(f"Plain material {m1n:,} → {m2n:,}: ×{m2 / m1:.1f} (linear ×{m2n / m1n:g}, quadratic ×{(m2n / m1n) ** 2:g}).")


if __name__ == "__main__":
    main(sys.argv[1:])
