"""Settings of the statistics app, read from the environment."""

from __future__ import annotations

from amparo.lib.env import envint

# How long a password re-confirmation ("sudo mode") lets someone export, in seconds.
SUDO_SECONDS = envint("AMPARO_SUDO_MINUTES", 10) * 60
