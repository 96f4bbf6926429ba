"""Production settings fail closed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
    clean.update(env)
    return subprocess.run([sys.executable, "-c", "import amparo.settings"], env=clean, capture_output=True, text=True)


@pytest.mark.parametrize("missing", ["AMPARO_SECRET_KEY", "AMPARO_ALLOWED_HOSTS", "AMPARO_MASTER_KEY_FILE", "AMPARO_SITE_URL"])
def test_production_refuses_to_start_without_what_it_needs(missing, tmp_path):
    env = {"AMPARO_PRODUCTION": "1", "AMPARO_SECRET_KEY": "x" * 50, "AMPARO_ALLOWED_HOSTS": "amparo.example.org",
           "AMPARO_MASTER_KEY_FILE": str(tmp_path / "keys"), "AMPARO_DATA_DIR": str(tmp_path),
           "AMPARO_SITE_URL": "https://amparo.example.org"}
    assert load_settings(**env).returncode == 0
    env.pop(missing)
    result = load_settings(**env)
    assert result.returncode != 0 and missing.split("_FILE")[0] in result.stderr


def test_wildcard_hosts_and_debug_in_production_are_refused(tmp_path):
    base = {"AMPARO_PRODUCTION": "1", "AMPARO_SECRET_KEY": "x" * 50, "AMPARO_MASTER_KEY_FILE": str(tmp_path / "k"), "AMPARO_DATA_DIR": str(tmp_path),
            "AMPARO_SITE_URL": "https://amparo.example.org"}
    assert load_settings(**base, AMPARO_ALLOWED_HOSTS="*").returncode != 0
    assert load_settings(**base, AMPARO_ALLOWED_HOSTS="a.org", AMPARO_DEBUG="1").returncode != 0


def test_debug_is_off_unless_asked_for(tmp_path):
    result = subprocess.run([sys.executable, "-c", "import amparo.settings as s; print(s.DEBUG)"],
                            env={**{k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}, "AMPARO_DATA_DIR": str(tmp_path)},
                            capture_output=True, text=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("bad", ["amparo.example.org", "ftp://amparo.example.org", "https://amparo.example.org/r/lima/", "https://"])
def test_a_site_url_that_cannot_make_links_is_refused(bad, tmp_path):
    result = load_settings(AMPARO_SITE_URL=bad, AMPARO_DATA_DIR=str(tmp_path))
    assert result.returncode != 0 and "AMPARO_SITE_URL" in result.stderr


def test_development_links_default_to_the_development_server(tmp_path):
    result = subprocess.run([sys.executable, "-c", "import amparo.settings as s; print(s.SITE_URL)"],
                            env={**{k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}, "AMPARO_DATA_DIR": str(tmp_path)},
                            capture_output=True, text=True)
    assert result.stdout.strip() == "http://127.0.0.1:8000"
