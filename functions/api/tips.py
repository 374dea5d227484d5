"""Handlers of the tips endpoints (to be built)."""

ROUTES: list = []
