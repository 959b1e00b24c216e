"""The pure builder: content and templates in, a complete `Web` out (no sockets, no disk writes)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from demoweb import feeds, render
from demoweb.content import (
    ArticleSpec,
    ExtraSpec,
    OutletSpec,
    Removal,
    apply_edit,
    load_articles,
    load_edits,
    load_extras,
    load_outlets,
    load_removals,
    load_text,
)
from demoweb.model import OutletSite, PageInfo, Resource, Role, Web
from demoweb.seeds import seed_articles

# Everything the demo publishes for day one is dated 2022; archive entries are dated 2020.
# A look-back window that opens on this date keeps the former and drops the latter.
WINDOW_START = date(2022, 1, 1)
DISALLOW = ("/search", "/print/", "/admin/")
HTML = "text/html; charset=utf-8"


def lookback_days(today: date | None = None) -> int:
    """Days from WINDOW_START to today: the demo outlets' look-back window."""
    return ((today or datetime.now(UTC).date()) - WINDOW_START).days + 1


def resource(body: bytes | str, content_type: str, modified: datetime | None) -> Resource:
    data = body.encode("utf-8") if isinstance(body, str) else body
    headers = (("Content-Type", content_type), ("Cache-Control", "public, max-age=60"))
    return Resource(200, headers, data, modified)


def _stamp(item: ArticleSpec | ExtraSpec) -> datetime:
    """When an item last changed: its edit, else its publication."""
    return (item.modified if isinstance(item, ArticleSpec) else None) or item.published


def _page_info(outlet: str, article: ArticleSpec) -> PageInfo:
    return PageInfo(
        outlet=outlet,
        path=article.path,
        role=article.role,
        language=article.language,
        title=article.text.title,
        published=article.published,
        day=article.day,
        syndication=article.syndication,
        seed=article.seed,
        derived_from=article.derived_from,
        relation=article.relation,
        modified=article.modified,
        edited_on=article.edited_on,
    )


class _SiteBuilder:
    """Accumulates one outlet's resources and ground-truth page records."""

    def __init__(
        self,
        spec: OutletSpec,
        articles: Sequence[ArticleSpec],
        extras: Sequence[ExtraSpec],
        removed: Sequence[tuple[ArticleSpec, Removal]] = (),
    ):
        self.spec = spec
        self.all_articles = sorted(articles, key=lambda a: a.published)
        current = tuple(a for a in self.all_articles if a.role != Role.ARCHIVE)
        self.site = render.Site(spec, current, tuple(extras))
        self.removed = removed
        self.resources: dict[str, Resource] = {}
        self.pages: list[PageInfo] = []
        self.removed_pages: list[PageInfo] = []

    def add(self, path: str, res: Resource, info: PageInfo | None = None) -> None:
        if path in self.resources:
            raise ValueError(f"Two demo pages claim {self.spec.name}{path}; give one another path.")
        self.resources[path] = res
        if info:
            self.pages.append(info)

    def non_article(self, path: str, kind: str, lang: str, title: str, html: str) -> None:
        info = PageInfo(self.spec.name, path, Role.NON_ARTICLE, lang, title, None, kind=kind)
        self.add(path, resource(html, HTML, None), info)

    def build(self) -> OutletSite:
        self._articles()
        self._removed()
        self._extras()
        self._listings()
        self._static_pages()
        self._discovery()
        self._assets()
        return OutletSite(
            name=self.spec.name,
            title=self.spec.title,
            ip=self.spec.ip,
            languages=self.spec.languages,
            feeds=tuple(path for path, _ in self.spec.feeds),
            sitemaps=tuple(path for path, _ in self.spec.sitemaps),
            sections=tuple(f"/{s.slug}/" for s in self.spec.sections),
            article_patterns=self.spec.article_patterns,
            exclude_patterns=self.spec.exclude_patterns,
            resources=self.resources,
        )

    def _articles(self) -> None:
        for article in self.all_articles:
            info = _page_info(self.spec.name, article)
            html = render.render_article(self.site, article)
            self.add(article.path, resource(html, HTML, _stamp(article)), info)
            if self.spec.amp and article.role != Role.ARCHIVE:
                amp_path = "/amp" + article.path
                amp_info = replace(
                    info,
                    path=amp_path,
                    role=Role.AMP,
                    syndication=None,
                    seed=None,
                    canonical_path=article.path,
                    kind="amp",
                    derived_from=None,
                    relation=None,
                )
                amp_html = render.render_amp(self.site, article)
                self.add(amp_path, resource(amp_html, HTML, _stamp(article)), amp_info)

    def _removed(self) -> None:
        """Taken-down articles answer an error (and so do their AMP renditions)."""
        for article, removal in self.removed:
            info = replace(_page_info(self.spec.name, article), removed_on=removal.day)
            self.removed_pages.append(info)
            paths = [article.path] + (["/amp" + article.path] if self.spec.amp else [])
            for path in paths:
                self.add(path, error_page(removal.status))

    def _extras(self) -> None:
        for extra in self.site.extras:
            html = (
                render.render_video(self.site, extra)
                if extra.kind == "video"
                else (render.render_live(self.site, extra))
            )
            info = PageInfo(
                self.spec.name,
                extra.path,
                Role.NON_ARTICLE,
                extra.language,
                extra.title,
                extra.published,
                day=extra.day,
                kind=extra.kind,
            )
            self.add(extra.path, resource(html, HTML, extra.published), info)

    def _listing(
        self,
        path: str,
        kind: str,
        title: str,
        lang: str,
        items: Iterable[ArticleSpec | ExtraSpec],
        *,
        day: int = 1,
    ) -> None:
        ordered = sorted(items, key=lambda i: i.published, reverse=True)
        html = render.render_listing(
            self.site, path=path, kind=kind, title=title, lang=lang, items=ordered
        )
        newest = ordered[0].published if ordered else None
        info = PageInfo(
            self.spec.name, path, Role.NON_ARTICLE, lang, title, None, day=day, kind=kind
        )
        self.add(path, resource(html, HTML, newest), info)

    def _listings(self) -> None:
        site, spec = self.site, self.spec
        items: list[ArticleSpec | ExtraSpec] = [*site.articles, *site.extras]
        home = [i for i in items if i.language == spec.language]
        self._listing("/", "home", spec.title, spec.language, home)
        for section in spec.sections:
            in_section = [i for i in items if i.section == section.slug]
            self._listing(f"/{section.slug}/", "section", section.label, section.lang, in_section)
        tags: dict[str, list[ArticleSpec]] = defaultdict(list)
        authors: dict[str, list[ArticleSpec]] = defaultdict(list)
        for article in site.articles:
            for tag in article.tags:
                tags[tag].append(article)
            if article.author:
                authors[article.author].append(article)
        tag_title = render.strings(spec.language)["tag_title"]
        for tag, tagged in sorted(tags.items()):
            path = f"/tag/{render.slugify(tag)}/"
            title, lang = f"{tag_title}: {tag}", tagged[0].language
            self._listing(path, "tag", title, lang, tagged, day=min(a.day for a in tagged))
        for author, written in sorted(authors.items()):
            path = f"/author/{render.slugify(author)}/"
            lang, day = written[0].language, min(a.day for a in written)
            self._listing(path, "author", author, lang, written, day=day)
        self._emptied_listings(set(tags), set(authors), tag_title)
        search = render.strings(spec.language)["search"]
        self._listing("/search", "search", search, spec.language, site.articles[-10:])

    def _emptied_listings(self, tags: set[str], authors: set[str], tag_title: str) -> None:
        """Tag and author pages left with no article by a removal answer 404, as an empty
        archive does on WordPress; they are recorded as removed pages too."""
        for article, removal in self.removed:
            gone = [
                (f"/tag/{render.slugify(tag)}/", "tag", f"{tag_title}: {tag}")
                for tag in article.tags
                if tag not in tags
            ]
            if article.author and article.author not in authors:
                path = f"/author/{render.slugify(article.author)}/"
                gone.append((path, "author", article.author))
            for path, kind, title in gone:
                if path in self.resources:
                    continue  # emptied by an earlier removal of the same outlet
                self.removed_pages.append(
                    PageInfo(
                        self.spec.name,
                        path,
                        Role.NON_ARTICLE,
                        article.language,
                        title,
                        None,
                        day=article.day,
                        kind=kind,
                        removed_on=removal.day,
                    )
                )
                self.add(path, error_page(404))

    def _static_pages(self) -> None:
        spec, text = self.spec, render.strings(self.spec.language)
        about = render.render_static(
            self.site,
            path=spec.about_path,
            kind="about",
            title=text["about_title"],
            lang=spec.language,
            paragraphs=spec.about,
        )
        self.non_article(spec.about_path, "about", spec.language, text["about_title"], about)
        contact_lines = [spec.address, spec.email]
        contact = render.render_static(
            self.site,
            path="/contact/",
            kind="contact",
            title=text["contact_title"],
            lang=spec.language,
            paragraphs=contact_lines,
        )
        self.non_article("/contact/", "contact", spec.language, text["contact_title"], contact)
        for path, text_file in spec.extra_pages:
            page_text = load_text(text_file)
            html = render.render_static(
                self.site,
                path=path,
                kind="page",
                title=page_text.title,
                lang=spec.language,
                paragraphs=page_text.paragraphs,
            )
            self.non_article(path, "page", spec.language, page_text.title, html)

    def _entries(self, items: Iterable[ArticleSpec | ExtraSpec]) -> list[feeds.Entry]:
        entries = []
        for item in sorted(items, key=lambda i: i.published, reverse=True):
            if isinstance(item, ArticleSpec):
                title, summary, author = item.text.title, item.description, item.author
            else:
                title, summary, author = item.title, item.description, ""
            entries.append(
                feeds.Entry(
                    self.site.url(item.path),
                    title,
                    item.published,
                    item.language,
                    summary,
                    author,
                    modified=item.modified if isinstance(item, ArticleSpec) else None,
                )
            )
        return entries

    def _newest(
        self,
        items: Iterable[ArticleSpec | ExtraSpec],
        *,
        month: str | None = None,
        edits: bool = True,
    ) -> datetime | None:
        """Last-Modified of a discovery document: when its body last changed, i.e. its newest
        item, edit (only for formats that carry modification dates) or a removal that took an
        entry out of it (`month` narrows removals to one sitemap-index child)."""
        stamps = [_stamp(i) if edits else i.published for i in items]
        stamps += [
            removal.removed
            for article, removal in self.removed
            if month is None or article.published.strftime("%Y-%m") == month
        ]
        return max(stamps, default=None)

    def _xml(self, path: str, body: bytes, modified: datetime | None) -> None:
        self.add(path, resource(body, "application/xml; charset=utf-8", modified))

    def _discovery(self) -> None:
        site, spec = self.site, self.spec
        in_feed: list[ArticleSpec | ExtraSpec] = [*site.articles]
        in_feed += [e for e in site.extras if e.in_feed]
        for path, kind in spec.feeds:
            entries = self._entries(in_feed)
            if kind == "rss":
                body = feeds.rss(
                    title=spec.title,
                    link=site.url("/"),
                    self_url=site.url(path),
                    language=spec.language,
                    entries=entries,
                )
            else:
                body = feeds.atom(
                    title=spec.title, link=site.url("/"), self_url=site.url(path), entries=entries
                )
            content_type = "application/rss+xml" if kind == "rss" else "application/atom+xml"
            newest = self._newest(in_feed, edits=kind == "atom")
            self.add(path, resource(body, content_type + "; charset=utf-8", newest))
        for path, kind in spec.sitemaps:
            if kind == "index":
                self._sitemap_index(path)
            else:
                mapped: list[ArticleSpec | ExtraSpec] = [*site.articles, *site.extras]
                if kind == "news":
                    mapped = list(site.articles)
                body = feeds.urlset(self._entries(mapped), kind=kind, publication=spec.title)
                self._xml(path, body, self._newest(mapped, edits=kind == "lastmod"))
        sitemap_urls = [site.url(path) for path, _ in spec.sitemaps]
        self.add("/robots.txt", resource(feeds.robots(sitemap_urls, DISALLOW), "text/plain", None))

    def _sitemap_index(self, path: str) -> None:
        """Children per month of publication (archive months included), plus a page sitemap,
        the layout WordPress SEO plugins produce."""
        by_month: dict[str, list[ArticleSpec | ExtraSpec]] = defaultdict(list)
        for article in self.all_articles:
            by_month[article.published.strftime("%Y-%m")].append(article)
        for extra in self.site.extras:
            by_month[extra.published.strftime("%Y-%m")].append(extra)
        children: list[tuple[str, datetime | None]] = []
        for month, items in sorted(by_month.items(), reverse=True):
            child = f"/sitemaps/post-{month}.xml"
            newest = self._newest(items, month=month)
            self._xml(child, feeds.urlset(self._entries(items), kind="lastmod"), newest)
            children.append((self.site.url(child), newest))
        static = [self.spec.about_path, "/contact/", *(p for p, _ in self.spec.extra_pages)]
        pages = feeds.urlset(
            [feeds.Entry(self.site.url(p), "", None, self.spec.language) for p in static],
            kind="plain",
        )
        self._xml("/sitemaps/pages.xml", pages, None)
        children.append((self.site.url("/sitemaps/pages.xml"), None))
        self._xml(path, feeds.sitemap_index(children), self._newest(self.all_articles))

    def _assets(self) -> None:
        script = (
            "(function(){'use strict';var t=document.querySelector('.js-menu-toggle');"
            "if(t){t.addEventListener('click',function(){var m=document.querySelector("
            "'.js-mega-menu');m.hidden=!m.hidden;t.setAttribute('aria-expanded',String(!m.hidden));"
            "});}})();\n"
        )
        self.add("/static/js/app.js", resource(script, "application/javascript", None))
        self.add(
            "/static/favicon.svg",
            resource(render.render_image(self.spec.name, self.spec.style), "image/svg+xml", None),
        )
        keys = [a.path for a in self.all_articles] + [e.path for e in self.site.extras]
        for key in keys:
            svg = render.render_image(key, self.spec.style)
            self.resources.setdefault(render.image_path(key), resource(svg, "image/svg+xml", None))


ERROR_TITLES = {404: "Page not found", 410: "This article has been removed"}


def error_page(status: int) -> Resource:
    title = ERROR_TITLES.get(status, "Error")
    body = f"<!DOCTYPE html><html lang=en><title>{status} {title}</title><h1>{title}</h1></html>"
    return Resource(status, (("Content-Type", HTML),), body.encode(), None)


def not_found_page() -> Resource:
    return error_page(404)


def _check_lineage(articles: Sequence[ArticleSpec]) -> None:
    """A derived page must name a page published no later than itself on the same day's web."""
    known = {(a.outlet, a.path): a for a in articles}
    for article in articles:
        source = known.get(article.derived_from) if article.derived_from else None
        if article.derived_from and (source is None or source.published > article.published):
            raise ValueError(
                f"Demo article {article.outlet}{article.path} derives from "
                f"{''.join(article.derived_from)}, which is not an earlier article of the web."
            )


def build_web(day: int = 1) -> Web:
    """The demo web as it looks on `day` (1 = 16 June 2022, 2 = 17 June): pages with `day` <= the
    argument, with the edits and removals of those days applied."""
    if day < 1:
        raise ValueError(f"Demo day must be 1 or later, not {day}.")
    articles: dict[tuple[str, str], ArticleSpec] = {}
    for article in (*load_articles(), *seed_articles()):
        key = (article.outlet, article.path)
        if key in articles:
            raise ValueError(f"Two demo articles claim {article.outlet}{article.path}; move one.")
        if article.day <= day:
            articles[key] = article
    edits = tuple(e for e in load_edits() if e.day <= day)
    for edit in sorted(edits, key=lambda e: e.day):
        articles[edit.outlet, edit.path] = apply_edit(articles[edit.outlet, edit.path], edit)
    removed = [(articles.pop((r.outlet, r.path)), r) for r in load_removals() if r.day <= day]
    _check_lineage([*articles.values(), *(article for article, _ in removed)])
    extras = [e for e in load_extras() if e.day <= day]
    sites, pages, gone = [], [], []
    for spec in load_outlets():
        builder = _SiteBuilder(
            spec,
            [a for a in articles.values() if a.outlet == spec.name],
            [e for e in extras if e.outlet == spec.name],
            [(a, r) for a, r in removed if a.outlet == spec.name],
        )
        sites.append(builder.build())
        pages.extend(builder.pages)
        gone.extend(builder.removed_pages)
    return Web(day=day, outlets=tuple(sites), pages=tuple(pages), removed=tuple(gone), edits=edits)
