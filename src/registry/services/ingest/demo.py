"""The Ontario demo registry: a JSON world file shipped with the package."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DEMO_FILE = Path(str(files("registry") / "data" / "demo-ontario.json"))
