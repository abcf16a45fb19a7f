"""`accessible-formats request|serve|requests`: the request-a-format commands.

Progress goes to stderr, --json results to stdout; errors are one clear line and a non-zero
exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import PipelineError
from .config import CONFIG_FILE, ServiceConfig, load_config
from .intake import Summary, process_files, process_imap, process_maildir, say, serve
from .ledger import Ledger
from .process import Processor, Settings
from .reply import OutboxTransport, ReplySettings, SmtpTransport

SMTP_PASSWORD_ENV = "ACCESSIBLE_FORMATS_SMTP_PASSWORD"
IMAP_PASSWORD_ENV = "ACCESSIBLE_FORMATS_IMAP_PASSWORD"


def register(subparsers: argparse._SubParsersAction) -> None:
    request = subparsers.add_parser("request", help="answer request-a-format emails (.eml files)")
    request.add_argument("messages", nargs="+", type=Path, metavar="MESSAGE.eml")
    _common(request)
    request.set_defaults(func=cmd_request)

    serve_parser = subparsers.add_parser("serve", help="answer requests arriving in a mailbox")
    where = serve_parser.add_mutually_exclusive_group()
    where.add_argument("--maildir", type=Path, metavar="DIR", help="a Maildir to read")
    where.add_argument(
        "--imap",
        metavar="URL",
        help=f"imaps://user@host/INBOX (password in {IMAP_PASSWORD_ENV}); "
        f"default: [imap] url in {CONFIG_FILE}",
    )
    serve_parser.add_argument("--once", action="store_true", help="one pass, then stop (for cron)")
    serve_parser.add_argument(
        "--interval", type=float, default=60, help="seconds between passes (default 60)"
    )
    _common(serve_parser)
    serve_parser.set_defaults(func=cmd_serve)

    listing = subparsers.add_parser(
        "requests", help="list the request ledger; `requests retry ID` tries a failed one again"
    )
    listing.add_argument(
        "action",
        nargs="*",
        metavar="retry ID",
        help="retry REQUEST-ID [...]: start these requests again (after fixing "
        "what made them fail); with --smtp-host or --outbox they are "
        "processed now, else at the next request or serve run",
    )
    _common(listing)
    listing.set_defaults(func=cmd_requests)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sources",
        type=Path,
        default=Path("sources"),
        dest="sources_dir",
        help="folder of source reports (default: sources)",
    )
    parser.add_argument(
        "--outputs", type=Path, default=Path("outputs"), help="folder for outputs (default: outputs)"
    )
    parser.add_argument(
        "--ledger",
        type=Path,
        default=None,
        help="the request ledger (default: OUTPUTS/requests/ledger.sqlite3)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help=f"the service's settings (default: {CONFIG_FILE} here, or "
        f"ACCESSIBLE_FORMATS_CONFIG); options below override it",
    )
    parser.add_argument(
        "--outbox",
        default=None,
        metavar="DIR",
        help="write replies as .eml files here instead of sending them "
        "(--outbox '' sends by SMTP even when the settings name an outbox)",
    )
    # Defaults of None: unset options fall back to the environment, then the settings file.
    parser.add_argument("--smtp-host", default=None)
    parser.add_argument("--smtp-port", type=int, default=None)
    parser.add_argument("--smtp-starttls", action="store_true", default=None)
    parser.add_argument("--smtp-user", default=None)
    parser.add_argument("--from", dest="from_address", default=None, help="the address replies come from")
    parser.add_argument("--organisation", default=None, help="the name that signs replies")
    parser.add_argument(
        "--staff", dest="staff_address", default=None, help="who is told when a request needs a person"
    )
    parser.add_argument(
        "--size-limit-mb",
        type=float,
        default=None,
        help="largest email, attachments counted as encoded (default 15)",
    )
    parser.add_argument(
        "--collect-url", default=None, help="where large files can be collected (URL of outputs/requests/)"
    )
    parser.add_argument(
        "--rate-limit", type=int, default=None, help="requests answered per address per day (default 10)"
    )
    parser.add_argument(
        "--retry-seconds",
        type=float,
        default=60,
        help="first SMTP retry delay; it doubles each time (default 60)",
    )
    parser.add_argument(
        "--max-attempts",
        type=int,
        default=8,
        help="SMTP attempts before giving up and telling staff (default 8)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable result on stdout")


def ledger_path(args: argparse.Namespace) -> Path:
    return args.ledger or args.outputs / "requests" / "ledger.sqlite3"


def service_config(args: argparse.Namespace) -> ServiceConfig:
    """The settings file and environment, with the command line's options over them."""
    config = load_config(args.config)
    overrides = {
        name: value
        for name, value in (
            ("from_address", args.from_address),
            ("organisation", args.organisation),
            ("staff_address", args.staff_address),
            ("size_limit_mb", args.size_limit_mb),
            ("collect_url", args.collect_url),
            ("rate_limit", args.rate_limit),
            ("smtp_host", args.smtp_host),
            ("smtp_port", args.smtp_port),
            ("smtp_starttls", args.smtp_starttls),
            ("smtp_user", args.smtp_user),
            ("outbox", args.outbox),
        )
        if value is not None
    }
    return dataclasses.replace(config, **overrides)


def settings_from(args: argparse.Namespace) -> Settings:
    config = service_config(args)
    hint = f" (or set it once in {CONFIG_FILE}: copy accessible-formats.example.toml)"
    if config.outbox:
        transport: OutboxTransport | SmtpTransport = OutboxTransport(Path(config.outbox))
    elif config.smtp_host:
        transport = SmtpTransport(
            config.smtp_host,
            config.smtp_port,
            config.smtp_starttls,
            config.smtp_user,
            os.environ.get(SMTP_PASSWORD_ENV, ""),
        )
        if config.smtp_user and not transport.password:
            raise PipelineError(f"--smtp-user is set but {SMTP_PASSWORD_ENV} is empty")
    else:
        raise PipelineError("say where replies go: --outbox DIR, or --smtp-host HOST" + hint)
    if not config.from_address or "@" not in config.from_address:
        raise PipelineError("say which address replies come from: --from formats@example.org" + hint)
    reply = ReplySettings(
        from_address=config.from_address,
        staff_address=config.staff_address,
        size_limit=int(config.size_limit_mb * 2**20),
        collect_url=config.collect_url,
        organisation=config.organisation,
    )
    return Settings(
        sources_dir=args.sources_dir,
        outputs_dir=args.outputs,
        reply=reply,
        transport=transport,
        rate_limit=config.rate_limit,
        max_attempts=args.max_attempts,
        backoff_seconds=args.retry_seconds,
    )


def _run(args: argparse.Namespace, work: Callable[[Processor], Summary]) -> int:
    try:
        settings = settings_from(args)
        lock = FileLock(str(ledger_path(args)) + ".lock")
        ledger_path(args).parent.mkdir(parents=True, exist_ok=True)
        with lock.acquire(timeout=5), Ledger(ledger_path(args)) as ledger:
            summary = work(Processor(settings, ledger))
    except Timeout:
        say(f"error: another request run holds {ledger_path(args)}.lock; try again when it ends")
        return 3
    except PipelineError as error:
        say(f"error: {error}")
        return 2
    except Exception as error:  # a bug: one line for the person, not a traceback
        say(f"error: unexpected {type(error).__name__}: {error}")
        return 70
    say(summary.line())
    if args.json:
        print(json.dumps(summary.to_json(), indent=2, ensure_ascii=False))
    return 1 if summary.counts.get("failed") else 0


def cmd_request(args: argparse.Namespace) -> int:
    missing = [str(path) for path in args.messages if not path.is_file()]
    if missing:
        say(f"error: no such message file: {', '.join(missing)}")
        return 2
    return _run(args, lambda processor: process_files(args.messages, processor))


def cmd_serve(args: argparse.Namespace) -> int:
    if args.maildir:

        def one_pass(processor: Processor) -> Summary:
            return process_maildir(args.maildir, processor)
    else:
        try:
            imap_url = args.imap or service_config(args).imap_url
        except PipelineError as error:
            say(f"error: {error}")
            return 2
        if not imap_url:
            say(
                f"error: say where requests arrive: --maildir DIR, or --imap URL, or [imap] url "
                f"in {CONFIG_FILE}"
            )
            return 2
        password = os.environ.get(IMAP_PASSWORD_ENV, "")
        if not password:
            say(f"error: put the IMAP password in {IMAP_PASSWORD_ENV}")
            return 2

        def one_pass(processor: Processor) -> Summary:
            return process_imap(imap_url, password, processor)

    return _run(args, lambda processor: serve(lambda: one_pass(processor), args.once, args.interval))


def cmd_requests(args: argparse.Namespace) -> int:
    if args.action:
        return cmd_retry(args)
    path = ledger_path(args)
    if not path.is_file():
        say(f"no requests yet ({path} does not exist)")
        if args.json:
            print("[]")
        return 0
    try:
        with Ledger(path) as ledger:
            rows = ledger.all()
    except Exception as error:  # a damaged or locked ledger: say so, not a traceback
        say(f"error: cannot read the ledger {path}: {error}")
        return 2
    if args.json:
        print(json.dumps([row.to_json() for row in rows], indent=2, ensure_ascii=False))
        return 0
    for row in rows:
        data = row.to_json()
        print(
            f"{data['received_at']}  {row.request_id}  {row.state:<10} {row.reply_to:<30} "
            f"{row.subject[:40]}{'  (' + row.reason + ')' if row.reason else ''}"
        )
    say(f"{len(rows)} requests")
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    verb, *request_ids = args.action
    if verb != "retry" or not request_ids:
        say("error: usage: accessible-formats requests retry REQUEST-ID [REQUEST-ID ...]")
        return 2
    path = ledger_path(args)
    if not path.is_file():
        say(f"error: no requests yet ({path} does not exist)")
        return 2
    if not (args.outbox or args.smtp_host):
        # Without a transport, mark them to be taken up by the next `request` or `serve` run.
        try:
            return _mark_for_retry(path, request_ids)
        except Timeout:
            say(f"error: another request run holds {path}.lock; try again when it ends")
            return 3

    def retry_all(processor: Processor) -> Summary:
        summary = Summary()
        for request_id in request_ids:
            outcome = processor.retry(request_id)
            summary.add(outcome)
            say(f"{request_id}: {outcome.state}{' (' + outcome.reason + ')' if outcome.reason else ''}")
        return summary

    return _run(args, retry_all)


def _mark_for_retry(path: Path, request_ids: list[str]) -> int:
    with FileLock(str(path) + ".lock").acquire(timeout=5), Ledger(path) as ledger:
        for request_id in request_ids:
            row = ledger.find(request_id)
            if row is None or row.state in ("replied", "ignored"):
                say(
                    f"error: {request_id}: "
                    + ("no such request" if row is None else f"it is {row.state}; nothing to retry")
                )
                return 2
            ledger.set_state(row.key, "received", "retry asked by staff", attempts=0, next_attempt_at=0)
            say(f"{request_id}: will be tried again at the next request or serve run")
    return 0
