"""Benchmarks that print figures beside a baseline, with ratios: `python -m bench` (see bench/__main__.py)."""
