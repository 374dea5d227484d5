"""Build-time code the mkdocs hooks in ``theme/hooks/`` share, installed as a package (pyproject.toml).

The hooks are loaded by mkdocs from their paths and import their parts from here by name, without
editing ``sys.path``; worker processes find the functions they run by the same names. Everything the
build needs stays under ``theme/hooks/`` (DESIGN.md: a later move touches one folder).
"""
