"""Which targets erpcap may load: this machine, and the hosts the user names.

A load test is only for systems its user may load. A target on loopback (``127.0.0.1``,
``::1``, ``localhost``) always runs; any other host only when it is named, on the command
line (``--allow-target HOST``, repeatable) or in the config file::

    # erpcap.yaml, in the working folder (or the file ERPCAP_CONFIG names)
    allow_targets:
      - erp-test.example.com
      - 10.20.0.15

A host is compared by name (case-insensitive) or, for an address, by its value (so that
``::1`` and ``0:0::1`` are one host); a URL written instead of a host counts as its host.
Nothing here resolves a name or opens a connection.

>>> allowed_host("http://erp.example:8069/web", ["ERP.example"])
True
>>> allowed_host("http://10.0.0.5", ["10.0.0.6"])
False
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from erpcap.errors import BadInput
from erpcap.processes import is_loopback
from erpcap.scenarios._yaml import keys, line_of, load_yaml

#: The config file read from the working folder when ERPCAP_CONFIG is not set.
CONFIG_NAME = "erpcap.yaml"
ENV_CONFIG = "ERPCAP_CONFIG"


def _host_key(text: str) -> str:
    """``text`` (a host, an address or a URL) as a comparable host."""
    raw = text.strip()
    host = urlsplit(raw).hostname if "//" in raw else raw.strip("[]")
    host = (host or "").rstrip(".").lower()
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host


def allowed_host(target: str, hosts: Iterable[str]) -> bool:
    """True when ``target``'s host is one of ``hosts``."""
    wanted = _host_key(urlsplit(target).hostname or "")
    return bool(wanted) and any(_host_key(h) == wanted for h in hosts)


def config_path() -> Path:
    """The config file erpcap reads: ``$ERPCAP_CONFIG``, else ``./erpcap.yaml``."""
    named = os.environ.get(ENV_CONFIG)
    return Path(named) if named else Path(CONFIG_NAME)


def configured_hosts(path: Path | None = None) -> list[str]:
    """``allow_targets`` of the config file (none when there is no file).

    Raises:
        BadInput: the file is not YAML, or ``allow_targets`` is not a list of host names
            (naming the file and line).
    """
    file = config_path() if path is None else path
    if not file.is_file():
        if path is not None or os.environ.get(ENV_CONFIG):
            raise BadInput(f"config file {file} does not exist", hint=f"unset {ENV_CONFIG}")
        return []
    doc = load_yaml(file, "config")
    if doc is None:
        return []
    if not isinstance(doc, dict):
        raise BadInput("the config file must be a mapping", path=file, line=1)
    hosts = doc.get("allow_targets", [])
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h.strip() for h in hosts):
        line = line_of(doc, 1)
        for number, text in enumerate(file.read_text(errors="replace").splitlines(), 1):
            if text.lstrip().startswith("allow_targets"):
                line = number
                break
        raise BadInput(
            "allow_targets must be a list of host names or addresses",
            path=file,
            line=line,
            hint="e.g. allow_targets: [erp-test.example.com, 10.20.0.15]",
        )
    unknown = sorted(set(keys(doc)) - {"allow_targets"})
    if unknown:
        raise BadInput(
            f"unknown key {unknown[0]!r} in the config file",
            path=file,
            line=line_of(doc, 1),
            hint="erpcap.yaml knows allow_targets",
        )
    return [str(h) for h in hosts]


def require_allowed_target(target: str, hosts: Sequence[str] = ()) -> None:
    """Refuse ``target`` unless it is loopback or its host is allowed (``hosts`` or config).

    Raises:
        BadInput: the target is elsewhere and not allowed; the message says how to allow it.
    """
    if is_loopback(target):
        return
    if allowed_host(target, [*hosts, *configured_hosts()]):
        return
    host = urlsplit(target).hostname or target
    raise BadInput(
        f"--target {target} is not on this machine and its host {host} is not allowed",
        hint=f"if you may load it, pass --allow-target {host} "
        f"(or list it under allow_targets in {CONFIG_NAME})",
    )
