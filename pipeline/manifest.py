"""The manifest: what was built from which source, with which options and tools, and whether it
passed its checks (outputs/<slug>/manifest.json).

Like DVC's dvc.lock, each stage records the hashes of what it read (its key) and what it wrote, so
"is this stale?" is a comparison. Writes go to a temporary file that is renamed over the old one
under a lock, so a crash or a second build never leaves a torn manifest.

The records are typed dataclasses (Manifest, StageEntry, OutputRecord...); `to_json` and
`from_json` are the only places that know the file's field names.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from .hashing import sha256_file

SCHEMA = 1
MANIFEST_NAME = "manifest.json"

Json = dict[str, Any]


@dataclass(frozen=True)
class OutputRecord:
    """One file a stage wrote, relative to the report's outputs folder."""

    path: str
    sha256: str
    bytes: int
    media_type: str
    # The file's modification time when it was hashed (0: not known). A file with the same size
    # and time has not been written since, so a build need not hash it again (see outputs_intact).
    mtime_ns: int = 0

    def to_json(self) -> Json:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "media_type": self.media_type,
            "mtime_ns": self.mtime_ns,
        }

    @classmethod
    def from_json(cls, data: Json) -> OutputRecord:
        return cls(
            data["path"], data["sha256"], data["bytes"], data["media_type"], int(data.get("mtime_ns", 0))
        )


@dataclass
class StageEntry:
    """What the manifest says about one stage: the outputs in place, the key they were built
    with, and (after a failed attempt) what went wrong; the previous outputs stay described."""

    key: str | None = None
    version: str | None = None
    options: Json | None = None
    tools: dict[str, str] = field(default_factory=dict)
    artefacts: dict[str, str] = field(default_factory=dict)  # artefact needed -> its sha256
    outputs: list[OutputRecord] = field(default_factory=list)
    status: str = "failed"  # "built", "reused" or "failed"
    seconds: float = 0.0
    error: str | None = None
    checks: Json | None = None  # CheckResult.to_json()
    built_at: str | None = None
    attempt: Json | None = None  # the failed attempt's key, options and checks

    @property
    def passed(self) -> bool:
        return bool((self.checks or {}).get("passed"))

    def to_json(self) -> Json:
        data: Json = {
            "key": self.key,
            "version": self.version,
            "options": self.options,
            "tools": self.tools,
            "artefacts": self.artefacts,
            "outputs": [record.to_json() for record in self.outputs],
            "status": self.status,
            "seconds": self.seconds,
            "error": self.error,
            "checks": self.checks,
            "built_at": self.built_at,
        }
        if self.attempt is not None:
            data["attempt"] = self.attempt
        return data

    @classmethod
    def from_json(cls, data: Json) -> StageEntry:
        return cls(
            key=data.get("key"),
            version=data.get("version"),
            options=data.get("options"),
            tools=dict(data.get("tools") or {}),
            artefacts=dict(data.get("artefacts") or {}),
            outputs=[OutputRecord.from_json(r) for r in data.get("outputs") or []],
            status=data.get("status", "failed"),
            seconds=data.get("seconds", 0.0),
            error=data.get("error"),
            checks=data.get("checks"),
            built_at=data.get("built_at"),
            attempt=data.get("attempt"),
        )


@dataclass
class SourceRecord:
    path: str = ""
    sha256: str = ""
    files: dict[str, str] = field(default_factory=dict)  # images and sidecar -> sha256
    # Which of `files` are the figures' images (stages that show none leave them out of their
    # keys), and the fingerprint of the reader that found them (readers.fingerprint): with these
    # a build can tell that the source is unchanged without reading it again.
    images: list[str] = field(default_factory=list)
    reader: str = ""

    def to_json(self) -> Json:
        if not self.path:
            return {}
        return {
            "path": self.path,
            "sha256": self.sha256,
            "files": self.files,
            "images": self.images,
            "reader": self.reader,
        }

    @classmethod
    def from_json(cls, data: Json) -> SourceRecord:
        return cls(
            data.get("path", ""),
            data.get("sha256", ""),
            dict(data.get("files") or {}),
            list(data.get("images") or []),
            data.get("reader", ""),
        )


@dataclass
class PipelineRecord:
    version: str = ""
    tools: dict[str, str] = field(default_factory=dict)  # every tool any stage reported

    def to_json(self) -> Json:
        return {"version": self.version, "tools": self.tools} if self.version else {}

    @classmethod
    def from_json(cls, data: Json) -> PipelineRecord:
        return cls(data.get("version", ""), dict(data.get("tools") or {}))


@dataclass
class LanguageRecord:
    tag: str = ""  # the report's BCP 47 language
    catalogue: str = ""  # the catalogue the pipeline's own words came from
    warning: str = ""  # set when there was none and English was used

    def to_json(self) -> Json:
        data: Json = {"tag": self.tag, "catalogue": self.catalogue}
        if self.warning:
            data["warning"] = self.warning
        return data

    @classmethod
    def from_json(cls, data: Json) -> LanguageRecord:
        return cls(data.get("tag", ""), data.get("catalogue", ""), data.get("warning", ""))


@dataclass
class Manifest:
    report: str
    source: SourceRecord = field(default_factory=SourceRecord)
    pipeline: PipelineRecord = field(default_factory=PipelineRecord)
    stages: dict[str, StageEntry] = field(default_factory=dict)
    language: LanguageRecord = field(default_factory=LanguageRecord)

    def to_json(self) -> Json:
        return {
            "schema": SCHEMA,
            "report": self.report,
            "source": self.source.to_json(),
            "pipeline": self.pipeline.to_json(),
            "language": self.language.to_json(),
            "stages": {name: entry.to_json() for name, entry in self.stages.items()},
        }

    @classmethod
    def from_json(cls, data: Json) -> Manifest:
        return cls(
            report=data.get("report", ""),
            source=SourceRecord.from_json(data.get("source") or {}),
            pipeline=PipelineRecord.from_json(data.get("pipeline") or {}),
            language=LanguageRecord.from_json(data.get("language") or {}),
            stages={name: StageEntry.from_json(entry) for name, entry in (data.get("stages") or {}).items()},
        )


def manifest_path(out_dir: Path) -> Path:
    return out_dir / MANIFEST_NAME


def lock_for(out_dir: Path) -> FileLock:
    """The lock every writer of out_dir holds: builds, checks and request conversions."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(out_dir / ".build.lock"))


def empty(report: str) -> Manifest:
    return Manifest(report)


def read(out_dir: Path, report: str) -> Manifest:
    """The manifest in out_dir, or an empty one when there is none (or it is unreadable or of
    another schema: then everything is rebuilt, which is always safe)."""
    path = manifest_path(out_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            return empty(report)
        return Manifest.from_json(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return empty(report)


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


def write(out_dir: Path, manifest: Manifest) -> None:
    text = json.dumps(manifest.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    write_atomic(manifest_path(out_dir), text.encode("utf-8"))


def stage_key(
    source_digest: str,
    stage_name: str,
    stage_version: str,
    options: Json,
    tools: dict[str, str],
    extra: str = "",
) -> str:
    """What a stage's output depends on: the source and its files, the stage's code version,
    its options, the tools it uses, and (for some stages) the artefacts other stages made."""
    material = json.dumps(
        {
            "source": source_digest,
            "stage": stage_name,
            "version": stage_version,
            "options": options,
            "tools": tools,
            "extra": extra,
        },
        sort_keys=True,
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def source_digest(source_sha256: str, files: dict[str, str]) -> str:
    material = json.dumps({"source": source_sha256, "files": files}, sort_keys=True)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def output_record(out_dir: Path, path: Path, media_type: str) -> OutputRecord:
    sha256 = sha256_file(path)
    on_disk = path.stat()
    return OutputRecord(
        path.relative_to(out_dir).as_posix(), sha256, on_disk.st_size, media_type, on_disk.st_mtime_ns
    )


def outputs_intact(out_dir: Path, entry: StageEntry | Json, *, rehash: bool = False) -> bool:
    """Every output the entry records is there with the recorded hash (the entry may also be
    given in its JSON form, as read from manifest.json).

    A file whose size and modification time (to the nanosecond) are still those recorded when
    it was hashed has not been written since, and is not hashed again, as make and git's index
    judge files: hashing every output cost a no-op build 40 ms for the two sample reports, most
    of it their MP3s, and grows with every report. Any write moves the time, so an edited file is
    hashed and found out. `rehash` hashes every file all the same (`make check`)."""
    if isinstance(entry, dict):
        entry = StageEntry.from_json(entry)
    if not entry.outputs:
        return False
    for record in entry.outputs:
        try:
            on_disk = (out_dir / record.path).stat()
        except OSError:
            return False
        if not stat.S_ISREG(on_disk.st_mode) or on_disk.st_size != record.bytes:
            return False
        if not rehash and record.mtime_ns and on_disk.st_mtime_ns == record.mtime_ns:
            continue
        if sha256_file(out_dir / record.path) != record.sha256:
            return False
    return True


def is_reusable(out_dir: Path, entry: StageEntry | None, key: str) -> bool:
    return entry is not None and entry.key == key and entry.passed and outputs_intact(out_dir, entry)
