"""Amparo: document, respond to and prove violence against sex workers and trans women."""
