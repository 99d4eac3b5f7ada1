"""Build hook: the wheel carries the top-level ontology/, shapes/ and sparql/ folders inside the package,
as registry/_resources/, where registry.resources finds them once installed. The folders at the top of
the repository stay the only copy; a checkout or an editable install reads them in place."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: the folders copied, and the files in them that are resources
RESOURCES = {"ontology": "*.ttl", "shapes": "*.ttl", "sparql": "*.rq"}
TARGET = ("registry", "_resources")


class BuildPyWithResources(build_py):
    """`build_py`, then a fresh copy of the resource folders into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout's folders
            return
        target = Path(self.build_lib).joinpath(*TARGET)
        shutil.rmtree(target, ignore_errors=True)  # no file removed from the repository survives in build/
        for folder, pattern in RESOURCES.items():
            files = sorted((ROOT / folder).rglob(pattern))
            if not files:
                raise SystemExit(f"setup.py: no {pattern} under {ROOT / folder}: the wheel would lack {folder}/")
            for f in files:
                dest = target / f.relative_to(ROOT)
                self.mkpath(str(dest.parent))
                self.copy_file(str(f), str(dest))


setup(cmdclass={"build_py": BuildPyWithResources})
