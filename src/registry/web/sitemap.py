"""/sitemap.xml: the public pages for search engines, each in English and French (each URL names its twin in the
other language, as hreflang alternates). Over 50,000 URLs, /sitemap.xml is a sitemap index of pages of them
(/sitemap.xml?page=N), as the sitemaps protocol asks."""

from __future__ import annotations

from collections.abc import Iterator
from xml.sax.saxutils import escape

from registry.domain.model import AGREEMENT, DATASET, ORGANIZATION
from registry.projections.catalog_index import CatalogIndex
from registry.web.i18n import LANGUAGES

#: the sitemaps protocol's limit of URLs in one file
MAX_URLS = 50_000
#: the pages that are not records (the authority catalogue's entries follow them)
PAGES = ["/", "/search", "/datasets", "/organizations", "/agreements", "/authorities", "/transparency", "/catalog",
         "/sparql"]
KINDS = (DATASET, ORGANIZATION, AGREEMENT)
URLSET = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
          'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n')


class Sitemap:
    """The sitemap of one site: `origin` its scheme, host and port; `per_file` URLs at most in one file."""

    def __init__(self, index: CatalogIndex, authorities: list[str], origin: str, per_file: int = MAX_URLS) -> None:
        self.index, self.authorities, self.origin = index, authorities, origin.rstrip("/")
        self.paths_per_file = max(per_file // len(LANGUAGES), 1)

    def total(self) -> int:
        """How many pages (paths) there are, each in every language."""
        counts = self.index.counts()
        return len(PAGES) + len(self.authorities) + sum(int(counts.get(k.name, {}).get("total", 0)) for k in KINDS)

    def files(self) -> int:
        return max(-(-self.total() // self.paths_per_file), 1)

    def paths(self, offset: int, limit: int) -> Iterator[str]:
        """The paths of the public pages from `offset`, at most `limit` (records in id order, live ones only)."""
        fixed = PAGES + [f"/authorities/{a}" for a in self.authorities]
        yield from fixed[offset:offset + limit]
        left, skip = limit - len(fixed[offset:offset + limit]), max(offset - len(fixed), 0)
        counts = self.index.counts()
        for kind in KINDS:
            total = counts.get(kind.name, {}).get("total", 0)
            if skip >= total:
                skip -= total
                continue
            while left > 0 and skip < total:
                found, _total = self.index.search(kind, filters={}, q=None, limit=min(left, 5000), offset=skip,
                                                  include_retired=False)
                if not found:
                    break
                for rid, _record in found:
                    yield f"/{kind.collection}/{rid}"
                left -= len(found)
                skip += len(found)
            skip = 0
            if left <= 0:
                return

    def xml(self, page: int | None = None) -> str | None:
        """The sitemap (one file), the index of its files when there are several and no page is asked, or None
        for a page that does not exist."""
        files = self.files()
        if page is None and files > 1:
            items = "".join(f"  <sitemap><loc>{escape(self.origin)}/sitemap.xml?page={n}</loc></sitemap>\n"
                            for n in range(1, files + 1))
            return ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                    f'sitemap/0.9">\n{items}</sitemapindex>\n')
        n = page or 1
        if not 1 <= n <= files:
            return None
        out = [URLSET]
        for path in self.paths((n - 1) * self.paths_per_file, self.paths_per_file):
            alternates = "".join(f'<xhtml:link rel="alternate" hreflang="{lang}" href="{self.url(lang, path)}"/>'
                                 for lang in LANGUAGES)
            out += [f"  <url><loc>{self.url(lang, path)}</loc>{alternates}</url>\n" for lang in LANGUAGES]
        out.append("</urlset>\n")
        return "".join(out)

    def url(self, lang: str, path: str) -> str:
        return escape(f"{self.origin}/{lang}{path}")
