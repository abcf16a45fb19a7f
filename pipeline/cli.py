"""`accessible-formats build|check|list|site|request|serve|requests`.

Errors and progress go to stderr; `--json` results go to stdout. Exit codes: 0 all good,
1 a stage or check failed, 2 the input (a source, an option, the command line) is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import __version__, stages
from .build import build_report, check_outputs
from .errors import OptionsError, PipelineError, SourceError
from .sources import find_reports, read_source, report_slug

# The commands this module defines; any other command (request, serve, requests) or none at all
# (--help) loads the request machinery (email, IMAP, SMTP, the ledger's SQLite), which a build,
# a check, a listing or the site never needs: a no-op `make all` should not pay for it.
CORE_COMMANDS = {"build", "check", "list", "site"}


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def make_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line; given argv, only the parsers that command needs are loaded."""
    parser = argparse.ArgumentParser(prog="accessible-formats", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(metavar="COMMAND")

    build = sub.add_parser("build", help="build formats of reports (default: every report, every format)")
    build.add_argument(
        "reports",
        nargs="*",
        type=Path,
        help="source files or report slugs (default: every report in --sources)",
    )
    build.add_argument(
        "--format",
        "-f",
        action="append",
        dest="formats",
        metavar="FORMAT",
        help=f"a format to build (repeatable): {', '.join(stages.available())}",
    )
    build.add_argument(
        "--option",
        "-o",
        action="append",
        default=[],
        metavar="FORMAT.NAME=VALUE",
        help="a stage option, e.g. large-print.font_size=24 (repeatable)",
    )
    _common(build)
    build.add_argument("--workers", type=int, default=2, help="processes for stages (default 2)")
    build.set_defaults(func=cmd_build)

    check = sub.add_parser("check", help="run every stage's read-back checks on outputs/")
    check.add_argument("reports", nargs="*", help="report slugs (default: every report built)")
    check.add_argument("--format", "-f", action="append", dest="formats", metavar="FORMAT")
    _common(check)
    check.set_defaults(func=cmd_check)

    listing = sub.add_parser("list", help="list the reports and the formats")
    _common(listing)
    listing.set_defaults(func=cmd_list)

    _register_site(sub)

    if _command_of(argv) in CORE_COMMANDS:
        return parser
    try:
        from .requests import commands as request_commands
    except ImportError as error:  # the request module is optional
        print(f"note: request commands unavailable: {error}", file=sys.stderr)
    else:
        request_commands.register(sub)
    return parser


def _command_of(argv: list[str] | None) -> str | None:
    """The command word of argv (the top level has only flags without values before it)."""
    if argv is None:
        return None
    return next((arg for arg in argv if not arg.startswith("-")), None)


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--sources",
        type=Path,
        default=Path("sources"),
        dest="sources_dir",
        help="folder of source reports (default: sources)",
    )
    command.add_argument(
        "--outputs", type=Path, default=Path("outputs"), help="folder for outputs (default: outputs)"
    )
    command.add_argument("--json", action="store_true", help="machine-readable result on stdout")


def parse_options(pairs: list[str]) -> dict[str, dict[str, str]]:
    """['large-print.font_size=24'] -> {'large-print': {'font_size': '24'}}."""
    options: dict[str, dict[str, str]] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        stage, _, key = name.partition(".")
        if not _ or not stage or not key:
            raise PipelineError(
                f"--option '{pair}' must look like FORMAT.NAME=VALUE, e.g. large-print.font_size=24"
            )
        options.setdefault(stage, {})[key] = value
    return options


def _resolve_sources(args: argparse.Namespace) -> list[Path]:
    if not args.reports:
        return find_reports(args.sources_dir)
    resolved = []
    catalogue = {report_slug(p): p for p in find_reports(args.sources_dir)}
    for item in args.reports:
        if item.is_file():
            resolved.append(item)
        elif str(item) in catalogue:
            resolved.append(catalogue[str(item)])
        else:
            raise PipelineError(
                f"no report '{item}': give a source file or one of "
                f"{', '.join(catalogue) or '(no reports in ' + str(args.sources_dir) + ')'}"
            )
    return resolved


def cmd_build(args: argparse.Namespace) -> int:
    options = parse_options(args.option)
    reports = _resolve_sources(args)
    if not reports:
        print(f"error: no reports found in {args.sources_dir}/", file=sys.stderr)
        return 2
    manifests: list[dict[str, Any]] = []
    status = 0
    for source in reports:
        slug = report_slug(source)
        print(f"== {slug} ({source})", file=sys.stderr)
        try:
            result = build_report(
                source, args.outputs / slug, args.formats, options, workers=args.workers, show_progress=True
            )
        except SourceError as error:
            print(
                f"{slug}: the source has {len(error.problems)} problem(s); nothing was built:",
                file=sys.stderr,
            )
            for problem in error.problems:
                print(f"  {problem}", file=sys.stderr)
            status = max(status, 2)
            continue
        except OptionsError:  # a wrong command line: the same for every report
            raise
        except PipelineError as error:  # per-source isolation: e.g. an unwritable folder
            print(f"{slug}: nothing was built: {error}", file=sys.stderr)
            status = max(status, 2)
            continue
        manifests.append(result.manifest)
        if result.failed:
            print(f"{slug}: failed: {', '.join(result.failed)}", file=sys.stderr)
            for name in result.failed:
                print(f"  {name}: {result.errors.get(name, '')}", file=sys.stderr)
            status = max(status, 1)
    if args.json:
        payload = manifests[0] if len(manifests) == 1 else manifests
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    return status


def cmd_check(args: argparse.Namespace) -> int:
    slugs = args.reports or sorted(
        p.parent.name for p in args.outputs.glob("*/manifest.json") if p.parent.name != "requests"
    )
    if not slugs:
        print(f"error: nothing has been built in {args.outputs}/ yet: run `make all` first", file=sys.stderr)
        return 2
    rows = []
    for slug in slugs:
        out_dir = args.outputs / slug
        if not (out_dir / "manifest.json").is_file():
            print(f"error: {out_dir} has no manifest: build it first (make all)", file=sys.stderr)
            return 2
        for name, result in check_outputs(out_dir, args.formats).items():
            rows.append(
                {
                    "report": slug,
                    "format": name,
                    "passed": result.passed,
                    "findings": [f.__dict__ for f in result.findings],
                    "metrics": result.metrics,
                }
            )
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        _print_check_table(rows)
    return 0 if all(row["passed"] for row in rows) else 1


def _print_check_table(rows: list[dict[str, Any]]) -> None:
    out = sys.stdout
    print(f"{'report':<24} {'format':<12} {'passed':<7} findings", file=out)
    for row in rows:
        findings = row["findings"]
        errors = [f for f in findings if f["severity"] == "error"]
        summary = "; ".join(f"{f['severity']}: {f['message']}" for f in (errors or findings)[:2])
        extra = f" (+{len(findings) - 2} more)" if len(findings) > 2 else ""
        print(
            f"{row['report']:<24} {row['format']:<12} {'yes' if row['passed'] else 'NO':<7} "
            f"{summary or '-'}{extra}",
            file=out,
        )


def cmd_list(args: argparse.Namespace) -> int:
    reports = []
    for source in find_reports(args.sources_dir):
        try:
            meta = read_source(source).meta
            reports.append(
                {
                    "slug": report_slug(source),
                    "source": str(source),
                    "title": meta.title,
                    "aliases": list(meta.aliases),
                }
            )
        except SourceError as error:
            reports.append({"slug": report_slug(source), "source": str(source), "error": str(error)})
    formats = []
    for name in stages.available():
        try:
            stages.get(name)
            formats.append({"format": name, "available": True})
        except PipelineError as error:
            formats.append({"format": name, "available": False, "reason": str(error)})
    if args.json:
        print(json.dumps({"reports": reports, "formats": formats}, indent=2, ensure_ascii=False))
        return 0
    print("Reports:")
    for report in reports:
        print(f"  {report['slug']}: {report.get('title') or report.get('error')}")
    print("Formats:")
    for fmt in formats:
        reason = "" if fmt["available"] else f" ({fmt['reason']})"
        print(f"  {fmt['format']}{reason}")
    return 0


# ---------------------------------------------------------------- site (pipeline/site/)


def _register_site(sub: argparse._SubParsersAction) -> None:
    site = sub.add_parser(
        "site",
        help="make outputs/site/: the accessible-versions pages and "
        "the staff's build reports, from what has been built",
    )
    site.add_argument(
        "--outputs",
        type=Path,
        default=Path("outputs"),
        help="folder the reports were built into (default: outputs)",
    )
    site.add_argument(
        "--site", type=Path, default=None, dest="site_dir", help="folder for the site (default: OUTPUTS/site)"
    )
    site.add_argument(
        "--request-address",
        default=None,
        help="where readers ask for another format (default: $ACCESSIBLE_FORMATS_FROM)",
    )
    site.add_argument("--json", action="store_true", help="what was made and reused, on stdout")
    site.set_defaults(func=cmd_site)


def cmd_site(args: argparse.Namespace) -> int:
    from .site import build_site

    if not any(args.outputs.glob("*/manifest.json")):
        print(f"error: nothing has been built in {args.outputs}/ yet: run `make all` first", file=sys.stderr)
        return 2
    result = build_site(args.outputs, args.site_dir, address=args.request_address)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    return 1 if result.previews.failed else 0
