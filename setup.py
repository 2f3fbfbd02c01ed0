"""Build hook: the wheel carries the top-level templates/ and policies/ as package data.

They stay top-level folders in the repository; a wheel build copies them into
reviewer/shipped/, where reviewer.resources finds them once installed. An
editable install reads them where they are.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED_FOLDERS = ("templates", "policies")


class BuildPyWithShippedFiles(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        for name in SHIPPED_FOLDERS:
            target = Path(self.build_lib) / "reviewer" / "shipped" / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithShippedFiles})
