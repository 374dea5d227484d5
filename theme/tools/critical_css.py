"""Writes ``theme/assets/css/critical.css``: the rules of the site's stylesheets that style the first screen.

``theme/hooks/critical_css.py`` puts that file inside every page and loads the full stylesheets without
blocking, so a phone on 2G paints "Gọi 111" and the page's top from the first round trip. Which rules
are needed is read in Chromium, not guessed: each public page type is opened at 360×640 and 1280×800
with the full stylesheets, and a selector is kept when it matches an element whose top is on the first
screen (hidden elements included: the rules that hide the drawer and search are needed too). Hover and
focus states, animations and print rules are left to the full stylesheets.

Run after changing the theme's CSS or templates (``tests/test_site_weight.py`` fails when the first
paint no longer matches the full page):
``.venv/bin/python theme/tools/critical_css.py`` (builds the site into a temporary folder).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "theme" / "hooks"))
from inline_assets import SITE_WIDE_SHEET  # noqa: E402  (the stylesheets the hook loads without blocking)
TARGET = REPO / "theme" / "assets" / "css" / "critical.css"
CHROMIUM = os.environ.get("BVTE_CHROMIUM", "/usr/bin/chromium")
VIEWPORTS = ({"width": 360, "height": 640}, {"width": 1280, "height": 800})

# One page of every public page type (the same list as tests/test_site_weight.py).
PAGES = ("/", "/van-ban/", "/van-ban/2024-cong-van-tang-cuong-bao-ve-cham-soc-tre-em/", "/bai-viet/",
         "/bai-viet/noi-chuyen-voi-con/", "/tre-em/", "/duong-day-nong/", "/danh-ba/", "/bao-tin/",
         "/tra-cuu/", "/tu-danh-gia/", "/404.html")

# Runs in the page: {selector -> kept} for the stylesheets of the page (not the inline critical copy).
COLLECT = r"""
(siteWide) => {
  const SITE_WIDE = new RegExp(siteWide);
  const fold = innerHeight;
  const DYNAMIC = /:(hover|focus|focus-visible|focus-within|active|visited|target)\b/;
  const kept = [];
  const onFirstScreen = (sel) => {
    const bare = sel.replace(/::?(before|after|marker|placeholder|selection|-webkit-[\w-]+|-moz-[\w-]+)(\([^)]*\))?/g, "");
    let nodes;
    try { nodes = document.querySelectorAll(bare.trim() || "*"); } catch (e) { return false; }
    for (const n of nodes) {
      if (n.getBoundingClientRect().top + scrollY < fold) return true;
    }
    return false;
  };
  const split = (text) => {  // top-level commas only: ":is(a, b)" stays whole
    const out = []; let depth = 0, start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === "(" || c === "[") depth++;
      else if (c === ")" || c === "]") depth--;
      else if (c === "," && depth === 0) { out.push(text.slice(start, i).trim()); start = i + 1; }
    }
    out.push(text.slice(start).trim());
    return out;
  };
  // style.cssText is not used: Chromium writes a shorthand holding var() as empty longhands. Each
  // longhand is written through the first shorthand of this list that has a value (shorter), else alone.
  const SIDES = "(top|right|bottom|left)";
  const SHORTHANDS = [
    ["border", new RegExp(`^border-${SIDES}-(width|style|color)$|^border-image-`)],
    ...["top", "right", "bottom", "left"].map((side) => [`border-${side}`, new RegExp(`^border-${side}-(width|style|color)$`)]),
    ...["width", "style", "color"].map((what) => [`border-${what}`, new RegExp(`^border-${SIDES}-${what}$`)]),
    ["border-radius", /^border-(top|bottom)-(left|right)-radius$/],
    ["margin", new RegExp(`^margin-${SIDES}$`)], ["padding", new RegExp(`^padding-${SIDES}$`)],
    ["inset", new RegExp(`^${SIDES}$`)], ["background", /^background-/], ["font", /^font-|^line-height$/],
    ["transition", /^transition-/], ["animation", /^animation-/], ["flex", /^flex-(grow|shrink|basis)$/],
    ["flex-flow", /^flex-(direction|wrap)$/], ["gap", /^(row|column)-gap$/], ["outline", /^outline-/],
    ["list-style", /^list-style-/], ["mask", /^mask-/], ["text-decoration", /^text-decoration-/],
    ["overflow", /^overflow-(x|y)$/], ["place-items", /^(align|justify)-items$/],
    ["place-content", /^(align|justify)-content$/]];
  const declarations = (style) => {
    const out = [], used = [];
    for (let k = 0; k < style.length; k++) {
      const name = style[k];
      if (used.some(([, re]) => re.test(name))) continue;
      const sh = SHORTHANDS.find(([s, re]) => re.test(name) && style.getPropertyValue(s));
      if (sh) { used.push(sh); out.push([sh[0], style.getPropertyValue(sh[0]), style.getPropertyPriority(sh[0])]); continue; }
      const value = style.getPropertyValue(name);
      if (!value) return null;  // the value is lost in the CSSOM: to_css takes the rule's source text
      out.push([name, value, style.getPropertyPriority(name)]);
    }
    return out;
  };
  const walk = (rules, pos, path) => {
    [...rules].forEach((rule, i) => {
      if (rule instanceof CSSStyleRule) {
        const sels = split(rule.selectorText).map((s, n) => [n, s])
          .filter(([, s]) => !DYNAMIC.test(s) && onFirstScreen(s));
        if (sels.length) kept.push({pos: [...pos, i], path, selectors: sels, selectorText: rule.selectorText,
                                    declarations: declarations(rule.style)});
      } else if (rule instanceof CSSMediaRule) {
        if (/\bprint\b/.test(rule.conditionText) && !/\bscreen\b/.test(rule.conditionText)) return;
        walk(rule.cssRules, [...pos, i], [...path, "@media " + rule.conditionText]);
      } else if (rule instanceof CSSSupportsRule) {
        walk(rule.cssRules, [...pos, i], [...path, "@supports " + rule.conditionText]);
      }
    });
  };
  [...document.styleSheets].forEach((sheet, n) => {
    if (sheet.href && SITE_WIDE.test(sheet.href)) walk(sheet.cssRules, [new URL(sheet.href).pathname.slice(1)], []);
  });
  return kept;
}
"""


def _serve(site: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def collect(site: Path) -> list[dict]:
    """Every rule used on a first screen (its selectors that are), in the stylesheets' order."""
    from playwright.sync_api import sync_playwright

    server = _serve(site)
    found: dict[tuple, dict] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                for viewport in VIEWPORTS:
                    context = browser.new_context(viewport=viewport, locale="vi-VN")
                    page = context.new_page()
                    for path in PAGES:
                        page.goto(f"http://127.0.0.1:{server.server_port}{path}", wait_until="load")
                        # Stylesheets loaded without blocking apply once their media is no longer "print".
                        page.wait_for_function("() => [...document.styleSheets].every(s => !s.href || "
                                               "s.media.mediaText !== 'print')")
                        for rule in page.evaluate(COLLECT, SITE_WIDE_SHEET.pattern):
                            if rule["declarations"] is None:
                                rule["sheet"] = rule["pos"][0]
                                rule["declarations"] = _source_declarations(site, rule)
                            entry = found.setdefault(tuple(rule["pos"]), {**rule, "selectors": {}})
                            entry["selectors"].update(dict(rule["selectors"]))
                    context.close()
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    sheets = list(dict.fromkeys(key[0] for key in found))  # document order, as first met
    return [found[k] for k in sorted(found, key=lambda k: (sheets.index(k[0]), k[1:]))]


# Not needed to paint the first screen: motion, pointer shapes, hints to the compositor.
_NOT_FOR_FIRST_PAINT = re.compile(r"^(transition|animation|will-change|cursor|-webkit-tap-highlight-color)")
_VAR = re.compile(r"var\((--[\w-]+)")


def _source_declarations(site: Path, rule: dict) -> list[list[str]]:
    """The declarations of ``rule`` as written in its stylesheet (for values Chromium's CSSOM drops: a
    shorthand with var() followed by one of its longhands)."""
    text = (site / rule["sheet"]).read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    for selector in (rule["selectorText"], re.sub(r'="([\w-]+)"', r"=\1", rule["selectorText"])):
        found = re.search(r"(?:^|[}\s])" + r"\s*,\s*".join(map(re.escape, selector.split(", "))) + r"\s*\{([^{}]*)\}", text)
        if found:
            pairs = [d.split(":", 1) for d in found.group(1).split(";") if d.strip()]
            return [[n.strip(), v.strip().removesuffix("!important").strip(), "important" if "!important" in v else ""]
                    for n, v in pairs]
    raise ValueError(f"{rule['selectorText']}: not found in {rule['sheet']}: refusing to write a wrong stylesheet")


def _read_variables(rules: list[dict], names: set[str]) -> set[str]:
    """The custom properties that the declarations named ``names`` (or, when None, every other declaration) read."""
    return {v for r in rules for n, value, _ in r["declarations"]
            if (n in names if names is not None else not n.startswith("--")) for v in _VAR.findall(value)}


def _prune(rules: list[dict]) -> list[dict]:
    """Without motion and pointer declarations, and without custom properties no kept declaration reads
    (material defines dozens of icons and colours as variables; the first screen uses a few)."""
    for rule in rules:
        rule["declarations"] = [d for d in rule["declarations"] if not _NOT_FOR_FIRST_PAINT.match(d[0])]
    used = _read_variables(rules, None)
    while more := _read_variables(rules, used) - used:  # variables defined through other variables
        used |= more
    for rule in rules:
        rule["declarations"] = [d for d in rule["declarations"] if not d[0].startswith("--") or d[0] in used]
    return [r for r in rules if r["declarations"]]


def to_css(rules: list[dict]) -> str:
    """The rules as one minified stylesheet, consecutive rules of the same @media/@supports grouped."""
    out: list[str] = []
    open_path: list[str] = []
    for rule in _prune(rules):
        path = rule["path"]
        common = 0
        while common < min(len(path), len(open_path)) and path[common] == open_path[common]:
            common += 1
        out.append("}" * (len(open_path) - common))
        out.extend(f"{at}{{" for at in path[common:])
        open_path = path
        selectors = ",".join(s for _, s in sorted(rule["selectors"].items(), key=lambda kv: int(kv[0])))
        body = ";".join(f"{n}:{v.strip()}" + (" !important" if p else "") for n, v, p in rule["declarations"])
        out.append(f"{selectors}{{{body}}}")
    out.append("}" * len(open_path))
    return "".join(out)


HEADER = ("/* Generated by theme/tools/critical_css.py from the site's stylesheets (first screen of every "
          "public page type at 360x640 and 1280x800): do not edit, run the tool. */\n")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bvte-critical-") as tmp:
        site = Path(tmp) / "site"
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "--strict", "--site-dir", str(site)],
                       cwd=REPO, check=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
        css = to_css(collect(site))
    TARGET.write_text(HEADER + css + "\n", encoding="utf-8")
    print(f"{TARGET.relative_to(REPO)}: {len(css.encode())} bytes")


if __name__ == "__main__":
    main()
