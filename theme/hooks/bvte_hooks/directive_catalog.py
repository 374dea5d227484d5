"""The directives and notices of one site, and the rules that need all of them: no mkdocs here.

- A number and symbol is used once a year by one issuer (NĐ 30/2020: numbers restart each 1 January).
- A citation links to the directive of this site it names (``held``), matched on number/symbol and year.
- A page or file a document points to (``page``, ``attachments``) exists in the site (``check_links``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from functions.core.text import fold

from .directive_model import Cited, Directive, FieldError, Notice


@dataclass
class Catalog:
    directives: dict[str, Directive] = field(default_factory=dict)  # by src_uri, in file order
    notices: dict[str, Notice] = field(default_factory=dict)
    # ("450/ubnd-ldtbxh", 2023) -> the directives of that number/symbol and year (one per issuer)
    by_key: dict[tuple[str, int], list[Directive]] = field(default_factory=dict)

    def add_directive(self, d: Directive) -> None:
        """Add ``d``; ``FieldError`` on "number" when its issuer used its number/symbol that year already."""
        if d.numbered:
            # Numbers restart each 1 January and are unique in the year for one issuer (NĐ 30).
            held = self.by_key.setdefault((d.key, d.date.year), [])
            other = next((o for o in held if o.issuer_slug == d.issuer_slug), None)
            if other is not None:
                raise FieldError("number", f"số, ký hiệu không trùng trong năm (đã dùng ở {other.src_uri})", d.number_symbol)
            held.append(d)
        self.directives[d.src_uri] = d

    def add_notice(self, n: Notice) -> None:
        self.notices[n.src_uri] = n

    def newest_first(self) -> list[Directive]:
        return sorted(self.directives.values(), key=Directive.sort_key, reverse=True)

    def notices_newest_first(self) -> list[Notice]:
        return sorted(self.notices.values(), key=lambda n: (n.about.date, n.src_uri), reverse=True)

    def issuers(self) -> dict[str, str]:
        """Issuer slug -> name (the name of the last directive read, when names differ only in their slug)."""
        return {d.issuer_slug: d.issuer_name for d in self.directives.values()}

    def years(self) -> list[int]:
        return sorted({d.date.year for d in self.directives.values()}, reverse=True)

    def held(self, c: Cited) -> Directive | None:
        """The directive of this site a citation names: same number/symbol and year, and the same issuer
        when several issuers used that number/symbol in that year."""
        held = self.by_key.get((fold(c.number), c.date.year), [])
        if len(held) > 1:
            held = [d for d in held if _issuer_words(d.issuer_name) == _issuer_words(c.issuer)]
        return held[0] if len(held) == 1 else None


def _issuer_words(name: str) -> str:
    return re.sub(r"\bubnd\b", "uy ban nhan dan", fold(name)).strip()


def check_links(doc: Directive | Notice, docs: set[str]) -> None:
    """``FieldError`` on the first page or file ``doc`` points to that is not among ``docs`` (src_uris)."""
    for i, c in enumerate(doc.cites):
        if c.page and c.page not in docs:
            raise FieldError(f"cites[{i}].page", "một trang có trong content/", c.page)
    if isinstance(doc, Notice) and doc.about.page and doc.about.page not in docs:
        raise FieldError("about.page", "một trang có trong content/", doc.about.page)
    for i, a in enumerate(getattr(doc, "attachments", [])):
        if a.file not in docs:
            raise FieldError(f"attachments[{i}].file", "một tệp có trong content/", a.file)
