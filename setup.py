"""Packaging beyond what pyproject.toml can declare: the repository's ``configs/`` folder is
installed as the package ``sim.conf`` (so Hydra finds it as ``pkg://sim.conf`` in a wheel),
while ``sim``'s own subpackages are still discovered (a new one needs no edit here).

Everything else (metadata, dependencies, scripts, package data) is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["sim", "sim.*"]), "sim.conf"],
    package_dir={"sim.conf": "configs"},
)
