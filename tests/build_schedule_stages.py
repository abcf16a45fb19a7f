"""Three small, real stages registered only by the build's scheduling test: `provider` writes an
artefact, `user` needs it, and `long` needs nothing but keeps its worker until `user`'s output is
in place (or 20 s pass), and writes down which happened. A build that starts `user` only after
every stage that needs nothing (the old phases) makes `long` wait in vain."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.stage_api import CheckResult, Finding, Stage

ARTEFACT = "test-map"
PATIENCE = 20.0  # seconds `long` waits for `user` before it gives up


@dataclass(frozen=True)
class NoOptions:
    pass


@dataclass(frozen=True)
class ProviderOptions:
    fail_check: bool = False  # the provider's read-back check fails (after `user` got its map)


def build_provider(doc, options, out_dir: Path, ctx) -> list[Path]:
    path = out_dir / f"{ctx.slug}.map.txt"
    path.write_text("the map\n", encoding="utf-8")
    return [path]


def build_user(doc, options, out_dir: Path, ctx) -> list[Path]:
    path = out_dir / f"{ctx.slug}.user.txt"
    given = ctx.artefacts.get(ARTEFACT)
    path.write_text(given.read_text(encoding="utf-8") if given else "no map\n", encoding="utf-8")
    return [path]


def build_long(doc, options, out_dir: Path, ctx) -> list[Path]:
    # out_dir is the stage's temporary folder inside the build's outputs folder
    installed = out_dir.parent / f"{ctx.slug}.user.txt"
    deadline = time.monotonic() + PATIENCE
    while not installed.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    path = out_dir / f"{ctx.slug}.long.txt"
    path.write_text("saw user\n" if installed.exists() else "user had not run\n", encoding="utf-8")
    return [path]


def check_nothing(doc, options, paths, ctx) -> CheckResult:
    return CheckResult(())


def check_provider(doc, options, paths, ctx) -> CheckResult:
    if options.fail_check:
        return CheckResult((Finding("error", "the provider was told to fail its check", str(paths[0])),))
    return CheckResult(())


TEXT = {".txt": "text/plain"}
STAGES = [
    Stage(
        "provider",
        "1",
        ProviderOptions,
        build_provider,
        check_provider,
        TEXT,
        provides={ARTEFACT: ".map.txt"},
    ),
    Stage("long", "1", NoOptions, build_long, check_nothing, TEXT),
    Stage("user", "1", NoOptions, build_user, check_nothing, TEXT, needs=(ARTEFACT,)),
]
