"""Handlers of the assessments endpoints (to be built)."""

ROUTES: list = []
