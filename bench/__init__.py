"""Benchmarks: scripts that print figures (ratios against a baseline measured in the same run).

Run one with ``.venv/bin/python -m bench.<name>``, all with ``make bench``. Figures that were
read are recorded in ``bench/RESULTS.md`` with the date and the machine.
"""
