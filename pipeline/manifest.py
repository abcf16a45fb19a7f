"""The manifest: what was built from which source, with which options and tools, and whether it
passed its checks (outputs/<slug>/manifest.json).

Like DVC's dvc.lock, each stage records the hashes of what it read (its key) and what it wrote, so
"is this stale?" is a comparison. Writes go to a temporary file that is renamed over the old one
under a lock, so a crash or a second build never leaves a torn manifest.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from filelock import FileLock

from .sources import sha256_file

SCHEMA = 1
MANIFEST_NAME = "manifest.json"


def manifest_path(out_dir: Path) -> Path:
    return out_dir / MANIFEST_NAME


def lock_for(out_dir: Path) -> FileLock:
    """The lock every writer of out_dir holds: builds, checks and request conversions."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(out_dir / ".build.lock"))


def empty(report: str) -> dict[str, Any]:
    return {"schema": SCHEMA, "report": report, "source": {}, "pipeline": {}, "stages": {}}


def read(out_dir: Path, report: str) -> dict[str, Any]:
    """The manifest in out_dir, or an empty one when there is none (or it is unreadable: then
    everything is rebuilt, which is always safe)."""
    path = manifest_path(out_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return empty(report)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return empty(report)
    data.setdefault("stages", {})
    return data


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(out_dir: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    write_atomic(manifest_path(out_dir), text.encode("utf-8"))


def stage_key(source_digest: str, stage_name: str, stage_version: str,
              options: dict[str, Any], tools: dict[str, str], extra: str = "") -> str:
    """What a stage's output depends on: the source and its files, the stage's code version,
    its options, the tools it uses, and (for some stages) the pdf's page map."""
    material = json.dumps({"source": source_digest, "stage": stage_name,
                           "version": stage_version, "options": options, "tools": tools,
                           "extra": extra}, sort_keys=True)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def source_digest(source_sha256: str, files: dict[str, str]) -> str:
    material = json.dumps({"source": source_sha256, "files": files}, sort_keys=True)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def output_record(out_dir: Path, path: Path, media_type: str) -> dict[str, Any]:
    return {"path": path.relative_to(out_dir).as_posix(), "sha256": sha256_file(path),
            "bytes": path.stat().st_size, "media_type": media_type}


def outputs_intact(out_dir: Path, entry: dict[str, Any]) -> bool:
    """Every output the entry records is there with the recorded hash."""
    outputs = entry.get("outputs") or []
    if not outputs:
        return False
    for record in outputs:
        path = out_dir / record["path"]
        if not path.is_file() or path.stat().st_size != record["bytes"]:
            return False
        if sha256_file(path) != record["sha256"]:
            return False
    return True


def is_reusable(out_dir: Path, entry: dict[str, Any] | None, key: str) -> bool:
    return bool(entry) and entry.get("key") == key and \
        bool(entry.get("checks", {}).get("passed")) and outputs_intact(out_dir, entry)
