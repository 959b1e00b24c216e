"""URL canonicalisation and the "may we go there" check.

Every URL is canonicalised before it is fetched and again after (redirects,
``rel=canonical``), so that one article reached through a feed link with
tracking parameters, a sitemap link and an AMP page is stored once.

Percent-encoding normalisation and query sorting are delegated to
``w3lib.url.canonicalize_url``: it is the function Scrapy's request
fingerprints are built on, so our notion of "the same URL" matches the
scheduler's duplicate filter.  Tracking parameters are stripped with our own
conservative list rather than ``courlan``'s tracker regex, which also removes
names such as ``uid``, ``cid`` or anything ending in ``source`` that some news
sites use to identify articles; a canonicaliser must only merge URLs that
surely name one page.  For the same reason ``index.html`` suffixes and
trailing slashes are left alone: servers are free to answer them differently.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from typing import Literal, NamedTuple
from urllib.parse import SplitResult, urldefrag, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

__all__ = [
    "DropReason",
    "Listed",
    "amp_to_canonical",
    "canonicalize",
    "fetch_refusal",
    "host_of",
    "is_fetchable",
    "listed_url",
    "same_site",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}

#: Query parameter names that only track the reader, never select content.
_TRACKING_NAMES = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ocid",
        "cmpid",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "__twitter_impression",
        "xtor",
        "smid",
        "smtyp",
        "_ga",
        "_gl",
        "spm",
        "s_cid",
        "ns_campaign",
        "ns_mchannel",
        "ns_source",
        "ns_linkname",
        "ns_fee",
        "maca",  # Deutsche Welle feed links: ?maca=en-rss-en-all-1573-rdf
    }
)
#: Prefixes of tracking parameter families (Google Analytics, Matomo, HubSpot...).
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "_hs", "vero_", "oly_", "at_")

_AMP_QUERY = re.compile(r"^(?:amp|outputtype|output|format)=(?:|1|true|amp)$", re.IGNORECASE)
_AMP_CACHE_HOST = re.compile(r"\.cdn\.ampproject\.org$")
_AMP_CACHE_PATH = re.compile(r"^/[cvi]/(s/)?(.+)$")

_METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})
_METADATA_IPS = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("169.254.170.2"),
        ipaddress.ip_address("100.100.100.200"),
        ipaddress.ip_address("fd00:ec2::254"),
    }
)
#: Host spellings that ``inet_aton`` (and therefore the resolver) reads as an
#: IPv4 address although they are not dotted quads: ``2130706433``, ``0x7f.1``.
_LOOSE_IPV4 = re.compile(r"^(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}$")


def _is_tracking(name: str) -> bool:
    key = name.lower()
    return key in _TRACKING_NAMES or key.startswith(_TRACKING_PREFIXES)


def _strip_port(parts: SplitResult) -> str:
    """Netloc without the scheme's default port; userinfo is kept as it was."""
    netloc = parts.netloc
    try:
        port = parts.port
    except ValueError:
        return netloc
    if port is not None and port == _DEFAULT_PORTS.get(parts.scheme):
        netloc = netloc[: netloc.rfind(":")]
    return netloc


def canonicalize(url: str) -> str:
    """Return the canonical spelling of an http(s) URL.

    Lower-cases scheme and host (IDNA hosts become punycode), drops the
    default port, the fragment and tracking parameters, sorts the remaining
    query and normalises percent-encoding.  Non-http(s) and unparsable URLs
    come back merely stripped, so the function is total and idempotent; the
    fetch check refuses them later.
    """
    url = url.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            return url
        canonical = canonicalize_url(url, keep_fragments=False)
        parts = urlsplit(canonical)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return url
    if not parts.hostname:
        return url
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not _is_tracking(pair.split("=", 1)[0])
    )
    return urlunsplit((parts.scheme, _strip_port(parts), parts.path or "/", query, ""))


def amp_to_canonical(url: str) -> str | None:
    """Map a common AMP URL shape to the canonical page, or None if not AMP.

    Handles the Google AMP cache (``*.cdn.ampproject.org/c/s/host/path``), an
    ``amp.`` subdomain, an ``amp`` path segment (``/amp/...``, ``.../amp``),
    an ``.amp`` or ``.amp.html`` suffix and ``?amp=1``-style switches.  It is a
    guess from the URL alone; the fetched page's ``rel=canonical`` wins.
    """
    canonical = canonicalize(url)
    parts = urlsplit(canonical)
    host = parts.hostname
    if parts.scheme not in _DEFAULT_PORTS or not host:
        return None
    if _AMP_CACHE_HOST.search(host):
        match = _AMP_CACHE_PATH.match(parts.path)
        if not match or "/" not in match.group(2):
            return None
        scheme = "https" if match.group(1) else "http"
        query = f"?{parts.query}" if parts.query else ""
        return canonicalize(f"{scheme}://{match.group(2)}{query}")
    netloc = _strip_port(parts)
    changed = False
    if host.startswith("amp.") and host.count(".") >= 2 and "@" not in netloc:
        netloc = netloc[len("amp.") :]
        changed = True
    all_segments = parts.path.split("/")
    segments = [segment for segment in all_segments if segment.lower() != "amp"]
    changed = changed or len(segments) != len(all_segments)
    last = segments[-1]
    for suffix, replacement in ((".amp.html", ".html"), (".amp.htm", ".htm"), (".amp", "")):
        if last.lower().endswith(suffix) and len(last) > len(suffix):
            segments[-1] = last[: -len(suffix)] + replacement
            changed = True
            break
    pairs = [pair for pair in parts.query.split("&") if pair]
    query_pairs = [pair for pair in pairs if not _AMP_QUERY.match(pair)]
    changed = changed or len(query_pairs) != len(pairs)
    if not changed:
        return None
    path = "/".join(segments) or "/"
    return canonicalize(urlunsplit((parts.scheme, netloc, path, "&".join(query_pairs), "")))


def host_of(url: str) -> str | None:
    """The URL's host, lower-case and without brackets or trailing dot."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".") if host else None


def _parse_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        if not _LOOSE_IPV4.match(host):
            return None
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not address.is_global or address.is_multicast


def fetch_refusal(url: str, *, allow_private: bool = False) -> str | None:
    """Why newsmon must not fetch ``url`` (one sentence), or None when it may.

    Only http(s) URLs with a host are fetched.  Loopback, private, link-local
    and reserved addresses and ``localhost`` are refused unless
    ``allow_private`` (the offline demo and the tests run on 127.0.0.0/8);
    cloud metadata endpoints are refused always, because no crawl ever needs
    them and reaching one from a hostile link leaks credentials.  Host names
    are not resolved here: the check is about what a link *says*.
    """
    try:
        parts = urlsplit(url.strip())
        _ = parts.port
    except ValueError:
        return f"{url!r} is not a well-formed URL."
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return f"{url!r} uses the {scheme or 'missing'} scheme; only http and https are fetched."
    host = host_of(url)
    if not host:
        return f"{url!r} has no host name."
    address = _parse_ip(host)
    if host in _METADATA_HOSTS or address in _METADATA_IPS:
        return f"{url!r} points at a cloud metadata endpoint, which is never fetched."
    if allow_private:
        return None
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return f"{url!r} points at a local host name; enable private addresses to fetch it."
    if address is not None and _is_private(address):
        return (
            f"{url!r} points at the non-public address {address}; "
            "enable private addresses to fetch it."
        )
    return None


def is_fetchable(url: str, *, allow_private: bool = False) -> bool:
    """True when :func:`fetch_refusal` has no objection to ``url``."""
    return fetch_refusal(url, allow_private=allow_private) is None


def _normalise_domain(domain: str) -> str:
    domain = domain.strip().lower().rstrip(".")
    if domain.startswith("[") and domain.endswith("]"):
        domain = domain[1:-1]
    return domain


def same_site(url: str, allowed_domains: Iterable[str]) -> bool:
    """True when the URL's host is an allowed domain or a subdomain of one.

    An allowed domain that is an IP literal (the demo web gives each outlet
    its own loopback address) only matches that exact address.  Ports are
    ignored, as Scrapy's offsite filter does.
    """
    host = host_of(url)
    if not host:
        return False
    for domain in allowed_domains:
        allowed = _normalise_domain(domain)
        if not allowed:
            continue
        if host == allowed:
            return True
        if _parse_ip(allowed) is None and host.endswith("." + allowed):
            return True
    return False


#: Why a URL written in a feed, sitemap, robots.txt or page was not kept.
DropReason = Literal["empty", "control_characters", "invalid_characters", "malformed", "not_http"]


class Listed(NamedTuple):
    """A listed URL made absolute (``url``), or the reason it was dropped (``drop``)."""

    url: str | None
    drop: DropReason | None


_LINE_BREAKS = re.compile(r"[\r\n]+")
#: What WHATWG's URL parser strips from both ends: C0 controls and space.
_EDGE = "".join(chr(c) for c in range(0x21))
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def listed_url(raw: str | None, base: str) -> Listed:
    """Turn a URL as a listing wrote it into an absolute http(s) URL, or say why not.

    Listings are written by hand and by buggy generators: the URL may be
    relative (resolved against ``base``, the listing's own URL or its
    ``xml:base``), padded or wrapped over lines (removed, as browsers remove
    tabs and newlines), or carry other control characters or U+FFFD (an
    undecodable byte), which no real address contains.  Only http(s) URLs
    with a host are kept, without their fragment.
    """
    # A long <loc> wrapped by a generator: the breaks go with the indentation around them
    # (split and strip rather than one regex, which would be quadratic on long runs of spaces).
    lines = _LINE_BREAKS.split((raw or "").strip(_EDGE))
    text = "".join(line.strip(" \t") for line in lines).replace("\t", "")
    if not text:
        return Listed(None, "empty")
    if _CONTROL.search(text):
        return Listed(None, "control_characters")
    if "\ufffd" in text:
        return Listed(None, "invalid_characters")
    try:
        url = urldefrag(urljoin(base, text))[0]
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return Listed(None, "malformed")
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        return Listed(None, "not_http")
    if not parts.hostname:
        return Listed(None, "malformed")
    return Listed(url, None)
