"""Settings for bench/records.py: Amparo's own settings with a URLconf that adds an empty view."""

from __future__ import annotations

from amparo.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
