from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fixture_document import fixture_document

from pipeline.stage_api import BuildContext

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def doc(tmp_path):
    """The hand-built fixture Document (every node kind), its images in tmp_path/src."""
    return fixture_document(tmp_path / "src")


@pytest.fixture
def ctx(doc):
    return BuildContext(slug="listening-together", source=doc.source)
