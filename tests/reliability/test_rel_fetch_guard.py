"""Issue 6, where the crawler may go: the fetch guard against every spelling of a forbidden host.

`tests/test_urls.py` lists examples; here hypothesis writes the addresses, in the spellings an
attacker would use (dotted, one integer, hex, IPv4-mapped IPv6, userinfo in front, a trailing
dot), and the guard must refuse each of them.  The crawl-level proof that nothing was contacted
is in `test_rel_hostile_crawl.py::test_no_other_host_is_ever_contacted`.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from crawler.middlewares import FetchGuardMiddleware
from crawler.urls import fetch_refusal

_NETWORKS = [
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "0.0.0.0/8",
    )
]
_METADATA = ("169.254.169.254", "169.254.170.2", "100.100.100.200")


def _spellings(address: ipaddress.IPv4Address) -> list[str]:
    number = int(address)
    return [
        str(address),
        str(number),
        hex(number),
        ".".join(hex(int(octet)) for octet in str(address).split(".")),
        f"[::ffff:{address}]",
        f"{address}.",
        f"reader@{address}",
        f"news.example.com:80@{address}",
    ]


@st.composite
def _private_addresses(draw: st.DrawFn) -> ipaddress.IPv4Address:
    network = draw(st.sampled_from(_NETWORKS))
    offset = draw(st.integers(min_value=0, max_value=network.num_addresses - 1))
    return ipaddress.IPv4Address(int(network.network_address) + offset)


@given(
    _private_addresses(),
    st.sampled_from(["http", "https", "HTTP"]),
    st.sampled_from(["", ":80", ":8080"]),
    st.sampled_from(["/", "/latest/meta-data/", ""]),
)
def test_private_addresses_are_refused_in_every_spelling(
    address: ipaddress.IPv4Address, scheme: str, port: str, path: str
) -> None:
    for host in _spellings(address):
        url = f"{scheme}://{host}{port}{path}"
        assert fetch_refusal(url) is not None, url


@pytest.mark.parametrize("metadata", _METADATA)
def test_metadata_addresses_are_refused_even_when_private_addresses_are_allowed(
    metadata: str,
) -> None:
    for host in _spellings(ipaddress.IPv4Address(metadata)):
        url = f"http://{host}/latest/meta-data/"
        assert fetch_refusal(url, allow_private=True) is not None, url


@given(
    st.sampled_from(
        ["file", "ftp", "gopher", "data", "javascript", "jar", "dict", "ldap", "s3", "FILE"]
    ),
    st.text(alphabet="abc/.:@%", max_size=20),
)
def test_only_http_and_https_are_ever_fetched(scheme: str, rest: str) -> None:
    url = f"{scheme}://{rest}"
    assert fetch_refusal(url, allow_private=True) is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/",
        "http://[::ffff:a9fe:a9fe]/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
    ],
)
def test_the_downloader_guard_refuses_redirect_targets(url: str) -> None:
    """Redirects and robots.txt fetches pass the downloader middleware, not the spider's check."""
    guard = FetchGuardMiddleware.from_crawler(
        get_crawler(settings_dict={"NEWSMON_ALLOW_PRIVATE": True})
    )
    with pytest.raises(IgnoreRequest):
        guard.process_request(Request(url))


def test_the_downloader_guard_lets_the_test_web_through_only_when_told() -> None:
    url = "http://127.0.0.3:8000/news/a"
    open_guard = FetchGuardMiddleware.from_crawler(
        get_crawler(settings_dict={"NEWSMON_ALLOW_PRIVATE": True})
    )
    open_guard.process_request(Request(url))  # does not raise
    default_guard = FetchGuardMiddleware.from_crawler(get_crawler())
    with pytest.raises(IgnoreRequest):
        default_guard.process_request(Request(url))
