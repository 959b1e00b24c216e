"""HTML rendering: templates from `demoweb/templates` filled with content and escaped here.

Every page carries the furniture of a real news site (consent banner, navigation, mega-menu, ad
slots, share bar, related and most-read lists, comments, newsletter box, footer, inline scripts
and app state), because that furniture is exactly what the extractor must learn to ignore.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import quote

from demoweb.content import ArticleSpec, Block, ExtraSpec, OutletSpec, load_strings
from demoweb.model import placeholder_origin

UTM = "?utm_source=homepage&utm_medium=web&utm_campaign=top_stories"


@cache
def template(name: str) -> Template:
    text = resources.files("demoweb").joinpath(f"templates/{name}").read_text("utf-8")
    return Template(text)


@cache
def fragments() -> dict[str, Template]:
    raw = resources.files("demoweb").joinpath("templates/fragments.toml").read_text("utf-8")
    return {key: Template(value) for key, value in tomllib.loads(raw).items()}


def frag(name: str, **values: object) -> str:
    """Fill a fragment; every value is HTML-escaped except those passed pre-rendered (`_html`)."""
    filled = {
        key.removesuffix("_html"): str(value) if key.endswith("_html") else esc(value)
        for key, value in values.items()
    }
    return fragments()[name].substitute(filled)


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def strings(lang: str) -> Mapping[str, Any]:
    return load_strings()[lang]


def slugify(label: str) -> str:
    return quote(re.sub(r"[^\w]+", "-", label.casefold()).strip("-"))


def human_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def image_path(key: str) -> str:
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"/media/2022/06/{digest}.svg"


@cache
def site_css(style: str) -> str:
    """A utility-class stylesheet the size of a real site's inline critical CSS."""
    palette = {"network": "#c00", "daily": "#0a4b78", "farm": "#e4007c"}[style]
    rules = [
        f":root{{--brand:{palette};--ink:#111;--muted:#666;--rule:#ddd}}",
        "*,*::before,*::after{box-sizing:border-box}",
        "body{margin:0;font:16px/1.5 Georgia,serif;color:var(--ink)}",
        ".visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden}",
        ".consent-banner{position:fixed;bottom:0;left:0;right:0;background:#fff;z-index:999}",
        ".site-header{border-bottom:4px solid var(--brand)}",
        ".ad-slot{background:#f4f4f4;text-align:center;margin:24px auto}",
        ".ad-slot__label{font:11px sans-serif;text-transform:uppercase;color:var(--muted)}",
    ]
    sides = {"t": "top", "r": "right", "b": "bottom", "l": "left"}
    for prop, short in (("margin", "m"), ("padding", "p")):
        for size in range(13):
            rules.append(f".{short}-{size}{{{prop}:{size * 4}px}}")
            for key, side in sides.items():
                rules.append(f".{short}{key}-{size}{{{prop}-{side}:{size * 4}px}}")
    for bp, width in (("sm", 640), ("md", 768), ("lg", 1024), ("xl", 1280)):
        cols = "".join(f".{bp}\\:col-{n}{{width:{n * 100 / 12:.4f}%}}" for n in range(1, 13))
        rules.append(f"@media (min-width:{width}px){{{cols}}}")
    return "".join(rules)


@dataclass(frozen=True)
class Site:
    """One outlet's rendering context: its spec and the articles its lists draw from."""

    spec: OutletSpec
    articles: tuple[ArticleSpec, ...]
    extras: tuple[ExtraSpec, ...]

    @property
    def origin(self) -> str:
        return placeholder_origin(self.spec.name)

    def url(self, path: str) -> str:
        return self.origin + path

    def section_url(self, slug: str) -> str:
        return self.url(f"/{slug}/")

    def feed_url(self) -> tuple[str, str]:
        if not self.spec.feeds:
            return "application/rss+xml", self.url("/sitemap.xml")
        path, kind = self.spec.feeds[0]
        return f"application/{kind}+xml", self.url(path)

    def in_language(self, lang: str) -> list[ArticleSpec]:
        return [a for a in self.articles if a.language == lang]

    def listing_url(self, article: ArticleSpec, position: int) -> str:
        """How a section page links an article: sometimes via AMP or with tracking parameters,
        as real homepages do, so canonicalisation has work to do."""
        if self.spec.amp and position % 3 == 1:
            return self.url("/amp" + article.path)
        if self.spec.utm_links and position % 2 == 0:
            return self.url(article.path) + UTM
        return self.url(article.path)


def nav_items(site: Site, lang: str) -> str:
    sections = [s for s in site.spec.sections if s.lang == lang] or list(site.spec.sections)
    items = [frag("nav_item", url=site.url("/"), label=strings(lang)["home"])]
    items += [frag("nav_item", url=site.section_url(s.slug), label=s.label) for s in sections]
    return "\n".join(items)


def search_url(site: Site, query: str) -> str:
    """Topic links go to the search page, which robots.txt disallows, as on many real sites."""
    return site.url("/search?q=" + quote(query))


def mega_menu(site: Site, lang: str, groups: int = 3) -> str:
    topics: list[str] = strings(lang)["menu_topics"]
    size = max(1, len(topics) // groups)
    blocks = []
    for index in range(groups):
        chunk = topics[index * size : (index + 1) * size]
        links = "".join(frag("mega_link", url=search_url(site, t), label=t) for t in chunk)
        blocks.append(frag("mega_group", label=chunk[0] if chunk else "", links_html=links))
    return "\n".join(blocks)


def ad(site: Site, lang: str, slot: str, n: int = 1) -> str:
    label = site.spec.ad_label or strings(lang)["ad_label"]
    return frag("ad", slot=slot, outlet=site.spec.name, label=label, n=n)


def page(
    site: Site,
    *,
    lang: str,
    head_title: str,
    head_meta: str,
    main: str,
    body_class: str,
    state: Mapping[str, Any],
) -> str:
    text = strings(lang)
    feed_type, feed_url = site.feed_url()
    latest = site.in_language(lang)[-1:] or site.articles[-1:]
    breaking = "".join(
        frag("breaking", label=text["breaking"], url=site.url(a.path), text=a.text.title)
        for a in latest
    )
    links = [
        (text["footer_links"][0], site.spec.about_path),
        (text["footer_links"][1], "/contact/"),
    ]
    links += [
        (path.strip("/").replace("-", " ").capitalize(), path) for path, _ in site.spec.extra_pages
    ]
    footer_links = "\n".join(
        frag("footer_link", url=site.url(path), label=label) for label, path in links
    )
    app_state = {
        "site": site.spec.name,
        "lang": lang,
        "nav": [{"label": t, "href": search_url(site, t)} for t in text["menu_topics"]],
        "ads": {"network": 4021, "lazy": True, "refresh": 30, "slots": ["top", "mid", "side"]},
        "experiments": {"paywall_v2": "control", "newsletter_modal": "b"},
        **state,
    }
    return template("page.html").substitute(
        lang=lang,
        dir=text["dir"],
        style=site.spec.style,
        head_title=esc(head_title),
        head_meta=head_meta,
        feed_type=feed_type,
        feed_url=esc(feed_url),
        outlet_title=esc(site.spec.title),
        origin=site.origin,
        css=site_css(site.spec.style),
        datalayer=json.dumps({"pageType": body_class, "site": site.spec.name, "lang": lang}),
        body_class=body_class,
        skip=esc(text["skip"]),
        cookie_text=esc(text["cookie_text"]),
        cookie_accept=esc(text["cookie_accept"]),
        cookie_settings=esc(text["cookie_settings"]),
        ad_top=ad(site, lang, "top"),
        menu=esc(text["menu"]),
        tagline=esc(site.spec.tagline),
        search=esc(text["search"]),
        nav_items=nav_items(site, lang),
        mega_menu=mega_menu(site, lang),
        breaking=breaking,
        main=main,
        newsletter_title=esc(text["newsletter_title"]),
        newsletter_text=esc(text["newsletter_text"]),
        newsletter_placeholder=esc(text["newsletter_placeholder"]),
        newsletter_button=esc(text["newsletter_button"]),
        footer_links=footer_links,
        follow=esc(text["follow"]),
        apps=esc(text["apps"]),
        address=esc(site.spec.address),
        email=esc(site.spec.email),
        rights=esc(text["rights"]),
        app_state=json.dumps(app_state, ensure_ascii=False).replace("</", "<\\/"),
    )


def article_meta(site: Site, article: ArticleSpec, image: str) -> str:
    url = site.url(article.path)
    authors = [article.author] if article.author else []
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.text.title,
        "description": article.description,
        "datePublished": article.published.isoformat(),
        "dateModified": (article.modified or article.published).isoformat(),
        "inLanguage": article.language,
        "author": [{"@type": "Person", "name": name} for name in authors]
        or [{"@type": "Organization", "name": article.credit or site.spec.title}],
        "publisher": {
            "@type": "Organization",
            "name": site.spec.title,
            "logo": {"@type": "ImageObject", "url": site.url("/static/favicon.svg")},
        },
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "image": [image],
        "articleSection": article.section,
        "keywords": list(article.tags),
        "isAccessibleForFree": True,
    }
    lines = [
        f'<link rel="canonical" href="{esc(url)}">',
        f'<meta name="description" content="{esc(article.description)}">',
        f'<meta name="author" content="{esc(", ".join(authors) or site.spec.title)}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:site_name" content="{esc(site.spec.title)}">',
        f'<meta property="og:title" content="{esc(article.text.title)}">',
        f'<meta property="og:description" content="{esc(article.description)}">',
        f'<meta property="og:url" content="{esc(url)}">',
        f'<meta property="og:image" content="{esc(image)}">',
        f'<meta property="og:locale" content="{esc(article.language)}">',
        f'<meta property="article:published_time" content="{article.published.isoformat()}">',
        f'<meta property="article:section" content="{esc(article.section)}">',
        '<meta name="twitter:card" content="summary_large_image">',
        f'<meta name="twitter:title" content="{esc(article.text.title)}">',
        '<script type="application/ld+json">'
        + json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
        + "</script>",
    ]
    if site.spec.amp:
        lines.insert(1, f'<link rel="amphtml" href="{esc(site.url("/amp" + article.path))}">')
    return "\n".join(lines)


@dataclass(frozen=True)
class ArticleParts:
    header_extra: str  # dateline and similar, above the share bar
    share_title: str  # a headline repeated inside the share bar
    body: str
    after: str  # read-more links and section signs after the body


def body_blocks(site: Site, article: ArticleSpec, image: str) -> ArticleParts:
    """Split blocks into the page regions they belong to.

    Ordinary articles get the furniture real pages insert (lead figure, in-article ads, an
    inline "read also" link); seed pages get exactly the furniture their seed's noise shows.
    """
    text = strings(article.language)
    header: list[str] = []
    share: list[str] = []
    body: list[str] = []
    after: list[str] = []
    blocks: list[Block] = list(article.text.blocks)
    if article.furniture:
        caption = article.caption or " · ".join(article.tags) + " (file photo)"
        body.append(frag("figure", image=image, alt=caption, caption=caption))
    others = [a for a in site.articles if a.path != article.path and a.language == article.language]
    paragraphs = 0
    for block in blocks:
        if block.kind == "p":
            body.append(frag("paragraph", text=block.text))
            paragraphs += 1
            if article.furniture and paragraphs % 4 == 2:
                body.append(ad(site, article.language, "inarticle", paragraphs))
            if article.furniture and paragraphs == 5 and others:
                pick = others[len(article.path) % len(others)]
                body.append(
                    frag(
                        "related_inline",
                        label=text["read_also"],
                        url=site.url(pick.path),
                        text=pick.text.title,
                    )
                )
        elif block.kind == "h":
            body.append(frag("heading", text=block.text))
        elif block.kind == "figure":
            body.append(frag("figure", image=image, alt=block.extra, caption=block.text))
        elif block.kind == "ad":
            body.append(
                frag("ad", slot="inarticle", outlet=site.spec.name, label=block.text, n=paragraphs)
            )
        elif block.kind == "related":
            body.append(
                frag("related_inline", label="", url=site.url(block.extra), text=block.text)
            )
        elif block.kind == "dateline":
            header.append(frag("dateline", text=block.text))
        elif block.kind == "share_title":
            share.append(frag("share_title", text=block.text))
        elif block.kind == "read_more":
            rest = block.text.removeprefix(block.label).strip()
            after.append(frag("read_more", label=block.label, url=site.url(block.extra), text=rest))
        elif block.kind == "brand":
            after.append(frag("brand", url=site.url(block.extra), text=block.text))
        else:
            raise ValueError(f"Unknown block kind {block.kind!r} in {article.path}.")
    if article.source_link:
        source_outlet, source_path = article.source_link
        after.append(
            frag(
                "source_note",
                label=text["source_note"],
                url=placeholder_origin(source_outlet) + source_path,
                outlet_title=source_outlet.replace("_", " ").title(),
            )
        )
    return ArticleParts("".join(header), "".join(share), "\n".join(body), "\n".join(after))


def comments(lang: str, seed: str) -> tuple[str, int]:
    sample: list[list[str]] = strings(lang)["comments_sample"]
    count = 1 + len(seed) % len(sample)
    items = [
        frag("comment", author=author, time=f"{2 + i}h", text=body)
        for i, (author, body) in enumerate(sample[:count])
    ]
    return "\n".join(items), count


def render_article(
    site: Site, article: ArticleSpec, extra_state: Mapping[str, Any] | None = None
) -> str:
    """An article page; `extra_state` grows the inline app state (recirculation modules,
    ad configuration) the way large sites' hydration blobs do."""
    text = strings(article.language)
    image = site.url(image_path(article.path))
    section = next((s for s in site.spec.sections if s.slug == article.section), None)
    section_label = section.label if section else article.section
    parts = body_blocks(site, article, image)
    if article.author:
        byline = frag(
            "byline",
            by=text["by"],
            url=site.url(f"/author/{slugify(article.author)}/"),
            author=article.author,
        )
    else:
        byline = ""
    if article.credit:
        byline += frag("credit", credit=article.credit)
    modified = (
        frag(
            "modified",
            iso=article.modified.isoformat(),
            label=text["updated"],
            human=human_date(article.modified),
        )
        if article.modified
        else ""
    )
    peers = [a for a in site.in_language(article.language) if a.path != article.path]
    related = "\n".join(
        frag(
            "related_item",
            url=site.url(a.path),
            image=site.url(image_path(a.path)),
            title=a.text.title,
            iso=a.published.isoformat(),
            human=human_date(a.published),
        )
        for a in peers[:4]
    )
    most_read = "\n".join(
        frag("most_read_item", url=site.url(a.path), title=a.text.title) for a in peers[-5:]
    )
    comment_html, comment_count = comments(article.language, article.path)
    sponsored = ""
    if site.spec.style == "farm" and peers:
        items = "".join(
            frag(
                "sponsored_item",
                url=site.url(a.path),
                image=site.url(image_path(a.path)),
                text=a.text.title,
            )
            for a in peers[:3]
        )
        sponsored = frag("sponsored", label=text["sponsored"], items_html=items)
    main = template("article.html").substitute(
        section_class=slugify(article.section),
        origin=site.origin,
        home=esc(text["home"]),
        section_url=esc(site.section_url(article.section)),
        section_label=esc(section_label),
        title=esc(article.text.title),
        byline=byline,
        published_iso=article.published.isoformat(),
        published_label=esc(text["published"]),
        published_human=human_date(article.published),
        modified=modified,
        header_extra=parts.header_extra,
        share=esc(text["share"]),
        share_title=parts.share_title,
        listen=esc(text["listen"]),
        body=parts.body,
        after_body=parts.after,
        tags_label=esc(text["tags"]),
        tags="".join(
            frag("tag", url=site.url(f"/tag/{slugify(t)}/"), label=t) for t in article.tags
        ),
        related_label=esc(text["related"]),
        related=related,
        ad_mid=ad(site, article.language, "mid"),
        comments_label=esc(text["comments"]),
        comment_count=comment_count,
        comments_note=esc(text["comments_note"]),
        comments=comment_html,
        comment_button=esc(text["comment_button"]),
        most_read_label=esc(text["most_read"]),
        most_read=most_read,
        sponsored=sponsored,
    )
    return page(
        site,
        lang=article.language,
        head_title=f"{article.text.title} | {site.spec.title}",
        head_meta=article_meta(site, article, image),
        main=main,
        body_class="page-article",
        state={
            "article": {
                "id": hashlib.sha1(article.path.encode(), usedforsecurity=False).hexdigest()[:10],
                "section": article.section,
                "tags": list(article.tags),
                "wordCount": sum(len(p.split()) for p in article.text.paragraphs),
            },
            "related": [{"title": a.text.title, "href": a.path} for a in peers[:8]],
            **(extra_state or {}),
        },
    )


def render_amp(site: Site, article: ArticleSpec) -> str:
    text = strings(article.language)
    image = site.url(image_path(article.path))
    body = "\n".join(
        frag("heading" if b.kind == "h" else "paragraph", text=b.text)
        for b in article.text.blocks
        if b.is_text
    )
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.text.title,
        "datePublished": article.published.isoformat(),
        "inLanguage": article.language,
        "author": [{"@type": "Person", "name": article.author or site.spec.title}],
    }
    return template("amp.html").substitute(
        lang=article.language,
        dir=text["dir"],
        title=esc(article.text.title),
        outlet_title=esc(site.spec.title),
        outlet=site.spec.name,
        canonical=esc(site.url(article.path)),
        origin=site.origin,
        jsonld=json.dumps(ld, ensure_ascii=False).replace("</", "<\\/"),
        css=site_css(site.spec.style)[:4000],
        byline=esc(article.author),
        published_iso=article.published.isoformat(),
        published_human=human_date(article.published),
        image=esc(image),
        caption=esc(article.caption or article.text.title),
        body=body,
        ad_label=esc(site.spec.ad_label or text["ad_label"]),
        full_label=esc(text["full_article"]),
    )


def simple_meta(site: Site, path: str, title: str, og_type: str = "website") -> str:
    return "\n".join(
        [
            f'<link rel="canonical" href="{esc(site.url(path))}">',
            f'<meta property="og:type" content="{og_type}">',
            f'<meta property="og:site_name" content="{esc(site.spec.title)}">',
            f'<meta property="og:title" content="{esc(title)}">',
            f'<meta property="og:url" content="{esc(site.url(path))}">',
        ]
    )


def most_read_list(site: Site, lang: str) -> str:
    return "\n".join(
        frag("most_read_item", url=site.url(a.path), title=a.text.title)
        for a in site.in_language(lang)[-5:]
    )


def render_listing(
    site: Site,
    *,
    path: str,
    kind: str,
    title: str,
    lang: str,
    items: Sequence[ArticleSpec | ExtraSpec],
    intro: str = "",
) -> str:
    text = strings(lang)
    cards = []
    for position, item in enumerate(items):
        if isinstance(item, ArticleSpec):
            url, headline, summary = (
                site.listing_url(item, position),
                item.text.title,
                item.description,
            )
        else:
            url, headline, summary = site.url(item.path), item.title, item.description
        cards.append(
            frag(
                "card",
                url=url,
                image=site.url(image_path(item.path)),
                title=headline,
                summary=summary,
                iso=item.published.isoformat(),
                human=human_date(item.published),
            )
        )
    main = template("listing.html").substitute(
        kind=kind,
        title=esc(title),
        intro=f'<p class="listing__intro">{esc(intro)}</p>' if intro else "",
        cards="\n".join(cards),
        more_url=esc(site.url(path) + "?page=2"),
        more_label=esc(text["read_more"]),
        most_read_label=esc(text["most_read"]),
        most_read=most_read_list(site, lang),
    )
    return page(
        site,
        lang=lang,
        head_title=f"{title} | {site.spec.title}",
        head_meta=simple_meta(site, path, title),
        main=main,
        body_class=f"page-{kind}",
        state={"listing": {"kind": kind, "count": len(items)}},
    )


def render_static(
    site: Site, *, path: str, kind: str, title: str, lang: str, paragraphs: Iterable[str]
) -> str:
    body = "\n".join(frag("static_paragraph", text=p) for p in paragraphs)
    main = template("simple.html").substitute(kind=kind, title=esc(title), body=body)
    return page(
        site,
        lang=lang,
        head_title=f"{title} | {site.spec.title}",
        head_meta=simple_meta(site, path, title),
        main=main,
        body_class=f"page-{kind}",
        state={},
    )


def render_video(site: Site, extra: ExtraSpec) -> str:
    text = strings(extra.language)
    others = [e for e in site.extras if e.kind == "video" and e.path != extra.path]
    related = "\n".join(frag("video_item", url=site.url(e.path), title=e.title) for e in others)
    video_id = hashlib.sha1(extra.path.encode(), usedforsecurity=False).hexdigest()[:8]
    main = template("video.html").substitute(
        video_id=video_id,
        poster=esc(site.url(image_path(extra.path))),
        video_src=esc(site.url(f"/media/video/{video_id}.mp4")),
        duration="2:41",
        title=esc(extra.title),
        description=esc(extra.description),
        published_iso=extra.published.isoformat(),
        published_human=human_date(extra.published),
        watch=esc(text["watch"]),
        related=related,
    )
    ld = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": extra.title,
        "description": extra.description,
        "uploadDate": extra.published.isoformat(),
        "duration": "PT2M41S",
    }
    return _structured_page(
        site, extra, main, ld, "page-video", {"video": {"id": video_id}}, "video.other"
    )


def _structured_page(
    site: Site,
    extra: ExtraSpec,
    main: str,
    ld: dict[str, Any],
    body_class: str,
    state: dict[str, Any],
    og_type: str = "website",
) -> str:
    """A non-article page that says what it is in JSON-LD, as video and live pages do."""
    meta = simple_meta(site, extra.path, extra.title, og_type) + (
        '\n<script type="application/ld+json">' + json.dumps(ld, ensure_ascii=False) + "</script>"
    )
    return page(
        site,
        lang=extra.language,
        head_title=f"{extra.title} | {site.spec.title}",
        head_meta=meta,
        main=main,
        body_class=body_class,
        state=state,
    )


def render_live(site: Site, extra: ExtraSpec) -> str:
    text = strings(extra.language)
    headlines = "\n".join(
        frag("headline", time=f"{9 + i // 2:02d}:{(i * 17) % 60:02d}", n=i + 1, text=h)
        for i, h in enumerate(extra.headlines)
    )
    main = template("live.html").substitute(
        live_label=esc(text["live_label"]),
        title=esc(extra.title),
        live_note=esc(text["live_note"]),
        headlines=headlines,
    )
    ld = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "headline": extra.title,
        "coverageStartTime": extra.published.isoformat(),
    }
    return _structured_page(
        site, extra, main, ld, "page-live", {"live": {"posts": len(extra.headlines)}}
    )


def render_image(key: str, style: str) -> str:
    """An SVG stand-in for a news photo, so pages render offline with no broken images."""
    colour = {"network": "#8a1c1c", "daily": "#1c4a8a", "farm": "#8a1c6e"}[style]
    shade = int(hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:2], 16)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="675" viewBox="0 0 1200 675">'
        f'<rect width="1200" height="675" fill="{colour}"/>'
        f'<circle cx="{300 + shade * 2}" cy="337" r="{120 + shade // 3}" fill="#fff" '
        'fill-opacity="0.25"/></svg>'
    )
