"""The hand-written language data in ``silkroad/data/lang`` (loaded once per process)."""

from __future__ import annotations

import functools
from importlib import resources

import yaml


@functools.cache
def load(name: str) -> dict:
    path = resources.files("silkroad") / "data" / "lang" / f"{name}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))
