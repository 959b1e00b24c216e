"""Ctrl-C while the crawlers are being set up (issue 11).

Scrapy installs its reactor when the first crawler is scheduled. A signal that arrives
between the run's start and that moment must not import the reactor, which would
install Twisted's default one and make the crawl fail with a reactor mismatch and a
traceback (seen in CI at the `run_opened` kill point of tests/test_interrupt.py, whose
timing makes it a race; this test makes the moment certain).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import signal, sys
    from scrapy.crawler import CrawlerProcess
    from newsmon.runner import StopOnSignal

    with StopOnSignal() as stop:
        stop.process = CrawlerProcess(
            {"TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor"}
        )
        signal.raise_signal(signal.SIGINT)
        print(stop.signum, "twisted.internet.reactor" in sys.modules)
    """
)


def test_a_signal_before_the_reactor_is_installed_is_remembered_and_installs_nothing() -> None:
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(int(signal.SIGINT)), "False"], done.stdout + done.stderr
