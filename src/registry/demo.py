"""The Ontario demo registry: a JSON world file shipped with the package."""

from __future__ import annotations

from pathlib import Path

DEMO_FILE = Path(__file__).parent / "data" / "demo-ontario.json"
