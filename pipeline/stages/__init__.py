"""The stage registry: name -> Stage. The build knows stages only through here.

A stage module defines `STAGES: list[Stage]` (one module may register two stages with different
defaults, as word.py does for `word` and `large-print`). Modules are imported lazily, so a format
whose module is missing says "not available" instead of breaking every other format, and a stage
never imports another stage.
"""

from __future__ import annotations

import importlib

from ..errors import StageUnavailable
from ..stage_api import Stage, make_options

__all__ = ["STAGE_MODULES", "available", "get", "make_options"]

# Format name -> module that registers it. Order is the build order (pdf first: others use its
# page map) and the order `make check` prints.
STAGE_MODULES: dict[str, str] = {
    "html": "pipeline.stages.html",
    "pdf": "pipeline.stages.pdf",
    "word": "pipeline.stages.word",
    "large-print": "pipeline.stages.word",
    "epub": "pipeline.stages.epub",
    "braille": "pipeline.stages.braille",
    "audio": "pipeline.stages.audio",
    "daisy": "pipeline.stages.daisy",
}


def available() -> list[str]:
    return list(STAGE_MODULES)


def get(name: str) -> Stage:
    """The stage registered under `name`; StageUnavailable with a clear reason otherwise."""
    module_name = STAGE_MODULES.get(name)
    if module_name is None:
        raise StageUnavailable(f"unknown format '{name}'. Formats: {', '.join(STAGE_MODULES)}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            raise StageUnavailable(f"the '{name}' format is not built yet") from None
        raise StageUnavailable(
            f"the '{name}' format needs the Python module '{error.name}', which is not installed: "
            f"run `make setup`"
        ) from None
    for stage in module.STAGES:
        if stage.name == name:
            return stage
    raise StageUnavailable(f"{module_name} does not register a stage called '{name}'")
