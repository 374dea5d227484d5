"""Handlers of the visits endpoints (to be built)."""

ROUTES: list = []
