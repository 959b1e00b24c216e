"""Scrapy spider loader backed by the outlet registry.

Scrapy normally finds spiders by importing modules; newsmon's spiders are
data (one registry entry each), so `scrapy list` and `scrapy crawl NAME` ask
the registry instead. User outlet files come from the NEWSMON_OUTLETS setting
or environment variable, exactly as for the `newsmon` CLI.
"""

from __future__ import annotations

import builtins
import importlib
from pathlib import Path
from typing import Self

from scrapy import Request, Spider
from scrapy.settings import BaseSettings

from crawler.outlets import Outlet, load_registry, registry_paths_from_env
from crawler.spiders.outlet import OutletSpider
from crawler.urls import same_site


def spider_class(outlet: Outlet) -> type[OutletSpider]:
    """The spider for one outlet: the generic one, or the subclass its entry names."""
    base: type[OutletSpider] = OutletSpider
    if outlet.spider:
        module_name, _, class_name = outlet.spider.rpartition(".")
        candidate = getattr(importlib.import_module(module_name), class_name)
        if not (isinstance(candidate, type) and issubclass(candidate, OutletSpider)):
            raise TypeError(
                f"Outlet {outlet.name!r}: spider {outlet.spider!r} is not an OutletSpider "
                "subclass; point it at a class that extends crawler.spiders.outlet.OutletSpider."
            )
        base = candidate
    return base.for_outlet(outlet)


def registry_from_settings(settings: BaseSettings) -> dict[str, Outlet]:
    paths = [Path(p) for p in settings.getlist("NEWSMON_OUTLETS")] + registry_paths_from_env()
    return load_registry(paths, builtin=settings.getbool("NEWSMON_BUILTIN_OUTLETS", True))


class RegistrySpiderLoader:
    """Implements Scrapy's SpiderLoaderProtocol over the outlet registry."""

    def __init__(self, outlets: dict[str, Outlet]) -> None:
        self._outlets = outlets
        self._classes: dict[str, type[OutletSpider]] = {}

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(registry_from_settings(settings))

    def load(self, spider_name: str) -> type[Spider]:
        if spider_name not in self._outlets:
            raise KeyError(f"Spider not found: {spider_name}")
        if spider_name not in self._classes:
            self._classes[spider_name] = spider_class(self._outlets[spider_name])
        return self._classes[spider_name]

    def list(self) -> list[str]:
        return sorted(self._outlets)

    def find_by_request(self, request: Request) -> builtins.list[str]:
        return [
            name
            for name, outlet in sorted(self._outlets.items())
            if same_site(request.url, outlet.allowed_domains)
        ]
