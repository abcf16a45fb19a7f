"""The build and the manifest: reuse and rebuild rules, atomic installs, failures, crashes,
concurrent builds. Uses the small real stages in build_test_stages.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from pipeline import manifest, stages
from pipeline.build import build_report
from pipeline.errors import OptionsError
from pipeline.sources import sha256_file

TESTS = Path(__file__).parent
ROOT = TESTS.parent
TEST_MODULES = {"text": "build_test_stages", "gallery": "build_test_stages"}

SOURCE = """\
---
title: Build test report
language: en-GB
---

# Findings

We counted 21 sessions and 502 people.

![A bar chart of sessions by month](chart.png "Sessions by month")
"""


@pytest.fixture(autouse=True)
def test_stages(monkeypatch):
    monkeypatch.setattr(stages, "STAGE_MODULES", dict(TEST_MODULES))


@pytest.fixture
def report(tmp_path) -> Path:
    folder = tmp_path / "sources" / "build-test"
    folder.mkdir(parents=True)
    Image.new("RGB", (40, 20), "navy").save(folder / "chart.png")
    source = folder / "build-test.md"
    source.write_text(SOURCE, encoding="utf-8")
    return source


def statuses(result) -> dict[str, str]:
    return {name: entry["status"] for name, entry in result.manifest["stages"].items()}


def test_first_build_records_outputs_with_hashes(report, tmp_path):
    out = tmp_path / "out"
    result = build_report(report, out, workers=1, show_progress=False)
    assert result.failed == []
    saved = json.loads((out / "manifest.json").read_text())
    assert saved == result.manifest
    assert saved["report"] == "build-test"
    assert saved["source"]["sha256"] == sha256_file(report)
    assert saved["source"]["files"] == {"chart.png": sha256_file(report.parent / "chart.png")}
    for name in ("text", "gallery"):
        entry = saved["stages"][name]
        assert entry["status"] == "built" and entry["checks"]["passed"]
        for record in entry["outputs"]:
            path = out / record["path"]
            assert sha256_file(path) == record["sha256"]
            assert path.stat().st_size == record["bytes"]
    assert (out / "gallery" / "count.txt").read_text() == "1"
    assert not list(out.glob(".tmp-*"))


def test_second_build_reuses_everything(report, tmp_path):
    out = tmp_path / "out"
    build_report(report, out, workers=1, show_progress=False)
    result = build_report(report, out, workers=1, show_progress=False)
    assert statuses(result) == {"text": "reused", "gallery": "reused"}


def test_changing_an_image_rebuilds_only_the_stages_that_show_images(report, tmp_path):
    out = tmp_path / "out"
    build_report(report, out, workers=1, show_progress=False)
    Image.new("RGB", (40, 20), "maroon").save(report.parent / "chart.png")
    result = build_report(report, out, workers=1, show_progress=False)
    assert statuses(result) == {"text": "reused", "gallery": "built"}


def test_changing_the_source_or_an_option_rebuilds(report, tmp_path):
    out = tmp_path / "out"
    build_report(report, out, workers=1, show_progress=False)
    report.write_text(SOURCE + "\nOne more sentence.\n", encoding="utf-8")
    assert statuses(build_report(report, out, workers=1, show_progress=False)) == {
        "text": "built",
        "gallery": "built",
    }
    result = build_report(report, out, ["text"], {"text": {"suffix": "text"}}, workers=1, show_progress=False)
    assert result.manifest["stages"]["text"]["status"] == "built"
    assert (out / "build-test.text").is_file()
    assert not (out / "build-test.txt").exists(), "the old output is removed once replaced"


def test_an_edited_or_missing_output_is_rebuilt(report, tmp_path):
    out = tmp_path / "out"
    build_report(report, out, workers=1, show_progress=False)
    (out / "build-test.txt").write_text("tampered")
    (out / "gallery" / "count.txt").unlink()
    result = build_report(report, out, workers=1, show_progress=False)
    assert statuses(result) == {"text": "built", "gallery": "built"}


def test_an_output_edited_to_the_same_size_is_rebuilt(report, tmp_path):
    out = tmp_path / "out"
    build_report(report, out, workers=1, show_progress=False)
    text = out / "build-test.txt"
    original = text.read_bytes()
    text.write_bytes(original[::-1])  # same size, other bytes, a new modification time
    result = build_report(report, out, workers=1, show_progress=False)
    assert statuses(result) == {"text": "built", "gallery": "reused"}
    assert text.read_bytes() == original


def test_make_check_hashes_an_output_whose_time_was_put_back(report, tmp_path):
    """A build trusts a file whose size and time are those recorded (as make does); `make check`
    hashes every file all the same, so an edit hidden by `touch -r` is still found."""
    from pipeline.build import check_outputs

    out = tmp_path / "out"
    build_report(report, out, workers=1, show_progress=False)
    text = out / "build-test.txt"
    before = text.stat()
    text.write_bytes(text.read_bytes()[::-1])
    os.utime(text, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert statuses(build_report(report, out, workers=1, show_progress=False))["text"] == "reused"
    findings = check_outputs(out, ["text"])["text"].findings
    assert [finding.message for finding in findings] == [
        "an output is missing or was changed since it was built: run `make all` to rebuild it"
    ]


def test_a_manifest_without_output_times_gets_them_from_a_build_that_reuses(report, tmp_path):
    out = tmp_path / "out"
    build_report(report, out, workers=1, show_progress=False)
    saved = json.loads((out / "manifest.json").read_text())
    for entry in saved["stages"].values():
        for record in entry["outputs"]:
            del record["mtime_ns"]  # as a manifest written before times were recorded
    (out / "manifest.json").write_text(json.dumps(saved))
    result = build_report(report, out, workers=1, show_progress=False)
    assert statuses(result) == {"text": "reused", "gallery": "reused"}
    for entry in json.loads((out / "manifest.json").read_text())["stages"].values():
        for record in entry["outputs"]:
            assert record["mtime_ns"] == (out / record["path"]).stat().st_mtime_ns


def test_a_build_with_nothing_to_do_trusts_the_record_only_from_the_same_reader(report, tmp_path):
    """The manifest records which files the source was made from and the reader that found them;
    a record from another reader (here one that found no image) is not trusted: the source is
    read again, finds its image, and the outputs made with it are current."""
    out = tmp_path / "out"
    build_report(report, out, workers=1, show_progress=False)
    saved = json.loads((out / "manifest.json").read_text())
    saved["source"].update(files={}, images=[], reader="a reader of another version")
    (out / "manifest.json").write_text(json.dumps(saved))
    result = build_report(report, out, workers=1, show_progress=False)
    assert statuses(result) == {"text": "reused", "gallery": "reused"}
    source = json.loads((out / "manifest.json").read_text())["source"]
    assert source["files"] == {"chart.png": sha256_file(report.parent / "chart.png")}
    assert source["images"] == ["chart.png"]


def _word_report(folder: Path, with_sidecar: bool) -> Path:
    fixture = TESTS / "fixtures" / "impact-report-2023-docx"
    folder.mkdir(parents=True)
    source = folder / "word-report.docx"
    shutil.copyfile(fixture / "impact-report-2023-docx.docx", source)
    if with_sidecar:
        shutil.copyfile(fixture / "impact-report-2023-docx.yaml", source.with_suffix(".yaml"))
    return source


def test_a_sidecar_added_after_a_build_rebuilds_what_it_changes(tmp_path):
    source = _word_report(tmp_path / "sources" / "word-report", with_sidecar=False)
    out = tmp_path / "out"
    build_report(source, out, workers=1, show_progress=False)
    shutil.copyfile(
        TESTS / "fixtures" / "impact-report-2023-docx" / "impact-report-2023-docx.yaml",
        source.with_suffix(".yaml"),
    )
    result = build_report(source, out, workers=1, show_progress=False)
    assert statuses(result) == {"text": "built", "gallery": "built"}
    assert "word-report.yaml" in result.manifest["source"]["files"]


def test_a_word_reports_pictures_cleared_from_the_temporary_folder_are_extracted_again(tmp_path):
    from pipeline.readers.docx.images import cache_folder

    source = _word_report(tmp_path / "sources" / "word-report", with_sidecar=True)
    out = tmp_path / "out"
    first = build_report(source, out, workers=1, show_progress=False)
    pictures = cache_folder(sha256_file(source))
    assert sorted(pictures.iterdir()), "the fixture's pictures are extracted"
    shutil.rmtree(pictures)  # as a reboot or tmp cleaner would
    result = build_report(source, out, workers=1, show_progress=False)
    assert statuses(result) == {"text": "reused", "gallery": "reused"}
    assert result.manifest["source"]["files"] == first.manifest["source"]["files"]
    assert all(Path(name).is_file() for name in result.manifest["source"]["images"])


def test_a_failing_stage_does_not_stop_the_others_and_keeps_its_previous_outputs(report, tmp_path):
    out = tmp_path / "out"
    build_report(report, out, workers=1, show_progress=False)
    before = (out / "build-test.txt").read_bytes()
    report.write_text(SOURCE + "\nA change.\n", encoding="utf-8")
    result = build_report(report, out, None, {"text": {"behaviour": "raise"}}, workers=2, show_progress=False)
    assert result.failed == ["text"]
    assert "told to fail" in result.errors["text"]
    assert result.manifest["stages"]["gallery"]["status"] == "built"
    assert (out / "build-test.txt").read_bytes() == before
    entry = result.manifest["stages"]["text"]
    assert entry["status"] == "failed"
    assert all(sha256_file(out / r["path"]) == r["sha256"] for r in entry["outputs"])


def test_a_failing_check_keeps_the_new_files_out_of_place(report, tmp_path):
    out = tmp_path / "out"
    result = build_report(
        report, out, ["text"], {"text": {"behaviour": "fail-check"}}, workers=1, show_progress=False
    )
    assert result.failed == ["text"]
    assert not (out / "build-test.txt").exists()
    assert (out / ".failed" / "text" / "build-test.txt").is_file()
    assert "read-back check failed" in result.errors["text"]


def test_a_bug_in_a_stage_is_reported_without_a_traceback(report, tmp_path):
    out = tmp_path / "out"
    result = build_report(
        report, out, ["text"], {"text": {"behaviour": "bug"}}, workers=1, show_progress=False
    )
    assert "internal error in the text stage (ZeroDivisionError" in result.errors["text"]


def _run_build_subprocess(report: Path, out: Path, options: str = "{}") -> subprocess.Popen:
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(TESTS)!r})
        from pathlib import Path
        from pipeline import stages
        stages.STAGE_MODULES = {TEST_MODULES!r}
        from pipeline.build import build_report
        result = build_report(Path({str(report)!r}), Path({str(out)!r}), None,
                              json.loads({options!r}), workers=1, show_progress=False)
        sys.exit(1 if result.failed else 0)
    """)
    return subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def test_a_killed_build_leaves_previous_outputs_and_manifest_intact(report, tmp_path):
    out = tmp_path / "out"
    build_report(report, out, workers=1, show_progress=False)
    saved_manifest = (out / "manifest.json").read_bytes()
    saved_text = (out / "build-test.txt").read_bytes()
    report.write_text(SOURCE + "\nChanged again.\n", encoding="utf-8")
    process = _run_build_subprocess(report, out, json.dumps({"text": {"behaviour": "kill"}}))
    process.wait(timeout=60)
    assert process.returncode == -9
    assert (out / "build-test.txt").read_bytes() == saved_text
    current = json.loads((out / "manifest.json").read_text())
    for entry in current["stages"].values():  # never points at a missing or torn file
        assert manifest.outputs_intact(out, entry)
    assert json.loads(saved_manifest)["stages"]["text"] == current["stages"]["text"]
    result = build_report(report, out, workers=1, show_progress=False)
    assert statuses(result)["text"] == "built"
    assert not list(out.glob(".tmp-*")), "the next build clears the crashed build's temp folder"


def test_two_concurrent_builds_are_both_safe(report, tmp_path):
    out = tmp_path / "out"
    slow = json.dumps({"text": {"behaviour": "slow"}})
    first, second = _run_build_subprocess(report, out, slow), _run_build_subprocess(report, out, slow)
    assert first.wait(timeout=120) == 0, first.stderr.read().decode()
    assert second.wait(timeout=120) == 0, second.stderr.read().decode()
    current = json.loads((out / "manifest.json").read_text())
    assert {e["status"] for e in current["stages"].values()} <= {"built", "reused"}
    for entry in current["stages"].values():
        assert manifest.outputs_intact(out, entry)


def test_cli_build_json_prints_the_manifest_and_exits_nonzero_on_failure(report, tmp_path):
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        from pipeline import stages
        stages.STAGE_MODULES = {TEST_MODULES!r}
        from pipeline.cli import main
        sys.exit(main(sys.argv[1:]))
    """)
    out = tmp_path / "outputs"
    ok = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "build",
            "--sources",
            str(report.parent.parent),
            "--outputs",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["stages"]["text"]["status"] == "built"
    bad = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "build",
            str(report),
            "--outputs",
            str(out),
            "--option",
            "text.behaviour=raise",
            "-f",
            "text",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 1
    assert "text: the test stage was told to fail" in bad.stderr.replace(str(report) + ": ", "")
    assert "Traceback" not in bad.stderr
    wrong = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "build",
            str(report),
            "--outputs",
            str(out),
            "--option",
            "text.colour=red",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert wrong.returncode == 2 and "error: 'text' has no option 'colour'" in wrong.stderr
    empty = subprocess.run(
        [sys.executable, "-c", script, "check", "--outputs", str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert empty.returncode == 2 and "nothing has been built" in empty.stderr


@pytest.mark.parametrize(
    "formats, options, message",
    [
        (
            ["text"],
            {"text": {"colour": "red"}},
            "'text' has no option 'colour'. Its options: behaviour, suffix",
        ),
        (["text", "mobi"], {}, "unknown format 'mobi'. Formats: text, gallery"),
        (
            ["text"],
            {"gallery": {"suffix": "md"}},
            "options were given for 'gallery', which is not being built",
        ),
    ],
)
def test_a_wrong_format_or_option_is_a_clear_error_and_writes_nothing(
    report, tmp_path, formats, options, message
):
    with pytest.raises(OptionsError) as raised:
        build_report(report, tmp_path / "out", formats, options, workers=1, show_progress=False)
    assert str(raised.value) == message
    assert not (tmp_path / "out").exists()


def test_current_outputs_names_files_only_while_they_match_a_fresh_build(report, tmp_path):
    from pipeline.build import current_outputs

    out = tmp_path / "out"
    assert current_outputs(report, out, "text") is None
    build_report(report, out, workers=1, show_progress=False)
    assert current_outputs(report, out, "text") == [out / "build-test.txt"]
    assert current_outputs(report, out, "text", {"suffix": "text"}) is None  # other options
    report.write_text(SOURCE + "\nEdited.\n", encoding="utf-8")
    assert current_outputs(report, out, "text") is None  # stale source


def test_a_worker_process_that_dies_fails_its_stage_and_keeps_every_output(report, tmp_path):
    out = tmp_path / "out"
    build_report(report, out, workers=1, show_progress=False)
    before = (out / "build-test.txt").read_bytes()
    report.write_text(SOURCE + "\nChanged.\n", encoding="utf-8")
    result = build_report(report, out, None, {"text": {"behaviour": "kill"}}, workers=2, show_progress=False)
    assert "text" in result.failed and "worker died" in result.errors["text"]
    assert (out / "build-test.txt").read_bytes() == before
    current = json.loads((out / "manifest.json").read_text())
    for entry in current["stages"].values():
        assert entry["outputs"] and manifest.outputs_intact(out, entry)


def test_a_stage_starts_as_soon_as_the_artefact_it_needs_is_in(report, tmp_path, monkeypatch):
    """`user` needs `provider`'s artefact; `long` needs nothing and holds its worker until
    `user`'s output is installed. With two workers, `user` must start when `provider` is done,
    not after every stage that needs nothing (then `long` would wait in vain)."""
    monkeypatch.setattr(
        stages, "STAGE_MODULES", {name: "build_schedule_stages" for name in ("provider", "long", "user")}
    )
    out = tmp_path / "out"
    result = build_report(report, out, workers=2, show_progress=False)
    assert not result.failed, result.errors
    assert (out / "build-test.long.txt").read_text() == "saw user\n"
    assert (out / "build-test.user.txt").read_text() == "the map\n"  # it was given the artefact
    entry = json.loads((out / "manifest.json").read_text())["stages"]["user"]
    assert entry["artefacts"] == {"test-map": sha256_file(out / "build-test.map.txt")}


def test_a_stage_given_the_artefact_of_a_provider_that_then_fails_its_check_is_built_again(
    report, tmp_path, monkeypatch
):
    """`user` starts once `provider` is built, while `provider`'s check runs; that check fails,
    so `user`'s outputs made from the failed provider's map are not installed: it is built
    again without the map, as when a provider fails to build, and nothing is left behind."""
    monkeypatch.setattr(
        stages, "STAGE_MODULES", {name: "build_schedule_stages" for name in ("provider", "user")}
    )
    out = tmp_path / "out"
    result = build_report(
        report, out, None, {"provider": {"fail_check": "true"}}, workers=2, show_progress=False
    )
    assert result.failed == ["provider"] and "told to fail its check" in result.errors["provider"]
    assert (out / "build-test.user.txt").read_text() == "no map\n"
    recorded = json.loads((out / "manifest.json").read_text())["stages"]
    assert recorded["user"]["status"] == "built" and recorded["user"]["artefacts"] == {}
    assert not (out / "build-test.map.txt").exists()
    assert not list(out.glob(".tmp-*"))
