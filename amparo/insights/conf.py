"""Settings of the statistics app, read from the environment."""

from __future__ import annotations


# How long a password re-confirmation ("sudo mode") lets someone export, in seconds.
