"""The phone fixtures of the server tests, shared with the other end-to-end tests of this app."""

from amparo.openrosa.tests.test_server import _quick_keys, phone, phone_setup  # noqa: F401 - fixtures
