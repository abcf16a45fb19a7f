"""The layers point one way (ARCHITECTURE.md): a stage never imports another stage, a check never
imports a stage, a reader never imports a stage, and no module of pipeline/ is part of an import
cycle.

The import graph is grimp's (the engine of import-linter): every `import` in pipeline/, at module
level or inside a function, resolved to the module it names; imports under `if TYPE_CHECKING:`
are left out because they never run. Cycles are found by the standard library's graphlib.
"""

from __future__ import annotations

import graphlib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]

# Imports that break the contract today and are being removed by their owners; each must still
# exist (so the list only shrinks) and no other may appear.
# Imports that break the layers and are waiting to be removed: none are left (checks/audio.py
# reads the playlist and the script on its own now). The set may only ever shrink.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("pipeline", exclude_type_checking_imports=True, cache_dir=None)


def _stage_of(module: str) -> str | None:
    """'pipeline.stages.pdf.layout' -> 'pdf'; None outside the stages (the registry itself
    is pipeline.stages, which is no stage)."""
    parts = module.split(".")
    if parts[:2] == ["pipeline", "stages"] and len(parts) > 2:
        return parts[2]
    return None


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    return {
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
    }


def violations(imports: set[tuple[str, str]]) -> set[tuple[str, str]]:
    found = set()
    for importer, imported in imports:
        stage, target = _stage_of(importer), _stage_of(imported)
        if target is None:
            continue
        if stage is not None and stage != target:
            found.add((importer, imported))  # a stage imports another stage
        elif _layer(importer) in {"checks", "readers"}:
            found.add((importer, imported))  # a check or a reader imports a stage
    return found


def test_the_graph_is_the_real_one(graph):
    # A graph that missed imports would pass every rule below: check it sees known ones.
    imports = _imports(graph)
    assert ("pipeline.build", "pipeline.manifest") in imports
    assert ("pipeline.stages.word.writer", "pipeline.stages.word.tables") in imports
    assert ("pipeline.stages.pdf", "pipeline.checks.pdf") in imports  # inside a function
    assert len(graph.modules) > 80


def test_no_stage_check_or_reader_imports_a_stage(graph):
    found = violations(_imports(graph))
    assert found - KNOWN_VIOLATIONS == set(), "imports that break the layers"
    assert KNOWN_VIOLATIONS - found == set(), "fixed: remove them from KNOWN_VIOLATIONS"


def test_the_rules_catch_each_kind_of_violation():
    assert violations(
        {
            ("pipeline.stages.epub", "pipeline.stages.pdf.layout"),
            ("pipeline.checks.pdf", "pipeline.stages.pdf"),
            ("pipeline.readers.markdown", "pipeline.stages.html"),
            ("pipeline.stages.pdf.layout", "pipeline.stages.pdf.styles"),
            ("pipeline.build", "pipeline.stages.pdf"),
            ("pipeline.stages.word", "pipeline.checks.word"),
        }
    ) == {
        ("pipeline.stages.epub", "pipeline.stages.pdf.layout"),
        ("pipeline.checks.pdf", "pipeline.stages.pdf"),
        ("pipeline.readers.markdown", "pipeline.stages.html"),
    }


def test_no_import_cycles(graph):
    sorter = graphlib.TopologicalSorter(
        {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    )
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")


def test_a_cycle_is_found():
    sorter = graphlib.TopologicalSorter({"a": {"b"}, "b": {"a"}})
    with pytest.raises(graphlib.CycleError):
        sorter.prepare()
