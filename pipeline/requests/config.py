"""The request service's settings: one file, `accessible-formats.toml` beside the Makefile.

Read with the standard library's tomllib. Each setting can be overridden by an environment
variable (for a service manager or a container), and each of those by a command-line option:

    command line  >  environment variable  >  accessible-formats.toml  >  built-in default

Passwords are never read from the file (it is easy to commit by mistake): they stay in
ACCESSIBLE_FORMATS_SMTP_PASSWORD and ACCESSIBLE_FORMATS_IMAP_PASSWORD. A commented example is
`accessible-formats.example.toml`: copy it to accessible-formats.toml and fill it in once.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..errors import PipelineError

CONFIG_FILE = "accessible-formats.toml"
CONFIG_ENV = "ACCESSIBLE_FORMATS_CONFIG"  # another file, e.g. in /etc


@dataclass(frozen=True)
class ServiceConfig:
    from_address: str = ""
    organisation: str = ""  # signs the replies ("Kettle and Compass")
    staff_address: str = ""
    size_limit_mb: float = 15.0  # largest email we send, attachments counted as encoded
    collect_url: str = ""  # where files too large for email can be collected
    rate_limit: int = 10  # requests answered per address per day
    outbox: str = ""  # write replies into this folder instead of sending them
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    imap_url: str = ""  # imaps://user@host/INBOX for `serve`
    source: str = ""  # the file the settings came from ("" when none)


# (table, key in the file) -> (attribute, environment variable)
KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("service", "from_address"): ("from_address", "ACCESSIBLE_FORMATS_FROM"),
    ("service", "organisation"): ("organisation", "ACCESSIBLE_FORMATS_ORGANISATION"),
    ("service", "staff_address"): ("staff_address", "ACCESSIBLE_FORMATS_STAFF"),
    ("service", "size_limit_mb"): ("size_limit_mb", "ACCESSIBLE_FORMATS_SIZE_LIMIT_MB"),
    ("service", "collect_url"): ("collect_url", "ACCESSIBLE_FORMATS_COLLECT_URL"),
    ("service", "rate_limit"): ("rate_limit", "ACCESSIBLE_FORMATS_RATE_LIMIT"),
    ("service", "outbox"): ("outbox", "ACCESSIBLE_FORMATS_OUTBOX"),
    ("smtp", "host"): ("smtp_host", "ACCESSIBLE_FORMATS_SMTP_HOST"),
    ("smtp", "port"): ("smtp_port", "ACCESSIBLE_FORMATS_SMTP_PORT"),
    ("smtp", "starttls"): ("smtp_starttls", "ACCESSIBLE_FORMATS_SMTP_STARTTLS"),
    ("smtp", "user"): ("smtp_user", "ACCESSIBLE_FORMATS_SMTP_USER"),
    ("imap", "url"): ("imap_url", "ACCESSIBLE_FORMATS_IMAP_URL"),
}
SECRETS = {"password", "smtp_password", "imap_password"}
# With postponed annotations a field's type is its annotation's text: "bool", "int", ...
_TYPES: dict[str, str] = {f.name: str(f.type) for f in fields(ServiceConfig)}


def config_path(explicit: Path | None, environ: Mapping[str, str]) -> Path:
    if explicit is not None:
        return explicit
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    return Path(CONFIG_FILE)


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> ServiceConfig:
    """The file's settings (if the file exists) with the environment's over them.

    A file named with --config or ACCESSIBLE_FORMATS_CONFIG must exist; the default
    accessible-formats.toml may be absent (everything then comes from options and variables).
    """
    environ = os.environ if environ is None else environ
    chosen = config_path(path, environ)
    config = ServiceConfig()
    must_exist = path is not None or bool(environ.get(CONFIG_ENV))
    if chosen.is_file():
        config = _from_file(chosen)
    elif must_exist and str(chosen) != os.devnull:
        raise PipelineError(
            f"{chosen}: no such settings file (copy "
            f"accessible-formats.example.toml to {CONFIG_FILE} and fill it in)"
        )
    for attribute, variable in KEYS.values():
        if environ.get(variable, "") != "":
            # Any: the value has the field's type, which _typed checked by name.
            change: dict[str, Any] = {
                attribute: _typed(environ[variable], attribute, f"environment variable {variable}")
            }
            config = replace(config, **change)
    return config


def _from_file(path: Path) -> ServiceConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise PipelineError(
            f"{path}: not valid TOML: {error} (see accessible-formats.example.toml)"
        ) from None
    except (OSError, UnicodeError) as error:
        raise PipelineError(f"{path}: cannot be read: {error}") from None
    values: dict[str, Any] = {"source": str(path)}  # each of its field's type (see _typed)
    for table, content in data.items():
        if not isinstance(content, dict):
            raise PipelineError(f"{path}: '{table}' must be a table such as [service], [smtp] or [imap]")
        for key, value in content.items():
            if key in SECRETS:
                raise PipelineError(
                    f"{path}: [{table}] {key}: passwords do not belong in this "
                    f"file; put them in ACCESSIBLE_FORMATS_SMTP_PASSWORD or "
                    f"ACCESSIBLE_FORMATS_IMAP_PASSWORD"
                )
            if (table, key) not in KEYS:
                known = ", ".join(f"[{t}] {k}" for t, k in KEYS)
                raise PipelineError(f"{path}: unknown setting [{table}] {key}. Settings: {known}")
            attribute = KEYS[(table, key)][0]
            values[attribute] = _typed(value, attribute, f"{path}: [{table}] {key}")
    return ServiceConfig(**values)


def _typed(value: object, attribute: str, where: str) -> bool | int | float | str:
    kind = _TYPES[attribute]
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        if kind == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            if not isinstance(value, int | float | str):
                raise TypeError(value)
            number = int(value)
            if number < 0:
                raise ValueError(value)
            return number
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError(value)
            if not isinstance(value, int | float | str):
                raise TypeError(value)
            amount = float(value)
            if amount <= 0:
                raise ValueError(value)
            return amount
    except (TypeError, ValueError):
        wanted = {"bool": "true or false", "int": "a whole number", "float": "a number above 0"}[kind]
        raise PipelineError(f"{where}: {value!r} is not {wanted}") from None
    if not isinstance(value, str):
        raise PipelineError(f"{where}: {value!r} must be text in quotes")
    return value
