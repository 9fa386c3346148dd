"""The user's own locustfile as a scenario: ``erpcap run --scenario path/to/locustfile.py``.

Two ends, in two processes:

- :func:`load_locustfile_scenario` runs in the orchestrator, which never imports Locust
  (gevent monkey-patches the standard library). It imports the file in a short-lived
  ``python`` subprocess (:func:`inspect_locustfile`, the same interpreter, so Locust is
  there) and learns its user classes: names, HttpUser or FastHttpUser, weights, lines. A
  file that does not import fails here, as one line naming the file and the line of its own
  error (a ``SyntaxError``, a ``ModuleNotFoundError`` ...), before any run directory exists.
- :func:`imported_user_classes` runs in the Locust process (via
  :mod:`erpcap.scenarios.classes`): it imports the file by path and returns its concrete
  user classes untouched. erpcap's locustfile puts them among its own names, beside erpcap's
  shape class, so erpcap's ``--shape`` drives the users; a ``LoadTestShape`` in the user's
  file is not used (a warning in run.json says so).

Locust's ``--host`` (erpcap's ``--target``) replaces every class's ``host``, so the load goes
to the target erpcap checked. Request names are the ones Locust reports (the ``name=`` of a
call, else the URL path); the recorder learns each request's user class from the user's
greenlet when the class does not put ``user_class`` in its ``context()``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from erpcap.errors import BadInput
from erpcap.processes import die_with_parent
from erpcap.scenarios.catalog import Scenario
from erpcap.scenarios.launch import LoadSettings

#: Seconds the check may spend importing the file (a locustfile that connects somewhere at
#: import time would otherwise hold the run forever).
CHECK_TIMEOUT_S = 60.0

#: Module names already used in the Locust process (erpcap's own locustfile is imported by
#: Locust as ``locustfile``): a user's file of that name is imported under another name.
_TAKEN = frozenset({"locust", "locustfile"})

__all__ = [
    "LocustfileScenario",
    "UserClassInfo",
    "imported_user_classes",
    "inspect_locustfile",
    "load_locustfile_scenario",
]


@dataclass(frozen=True)
class UserClassInfo:
    """One concrete user class of the file, as the check saw it."""

    name: str
    #: ``FastHttpUser``, ``HttpUser`` or ``User`` (another client).
    kind: str
    weight: int
    fixed_count: int
    line: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": self.name,
            "kind": self.kind,
            "weight": self.weight,
            "fixed_count": self.fixed_count,
        }


@dataclass(frozen=True)
class LocustfileScenario(Scenario):
    """A :class:`Scenario` of kind ``locustfile``: ``users`` is empty (no roles), the user
    classes are in :attr:`classes`; :attr:`shapes` names the file's own ``LoadTestShape``
    classes, which erpcap does not use."""

    classes: tuple[UserClassInfo, ...] = ()
    shapes: tuple[str, ...] = ()

    def warnings(self) -> list[str]:
        """What run.json should say about the file (its own shape is not used)."""
        return [
            f"{Path(self.source).name}: load shape class {name} is not used; erpcap's --shape "
            "(or --rate) decides the users over time"
            for name in self.shapes
        ]


def load_locustfile_scenario(path: str | Path) -> LocustfileScenario:
    """The scenario of the locustfile at ``path``, checked by importing it.

    In the orchestrator the import happens in a subprocess; inside a process that has
    already imported Locust (the Locust process itself), in place.

    Raises:
        BadInput: no such file, a file that does not import (its own error, with the line),
            no concrete user class, or a user class without tasks.
    """
    file = Path(path).resolve()
    if not file.is_file():
        raise BadInput(
            "no such locustfile", path=path, hint="give the path of a Python file with user classes"
        )
    report = inspect_locustfile(file) if "locust" in sys.modules else _inspect_in_subprocess(file)
    error = report.get("error")
    if error:
        raise BadInput(
            f"the locustfile does not import: {error['type']}: {error['message']}",
            path=error.get("file") or file,
            line=error.get("line"),
            hint="fix the file, or run it once with `locust -f` to see the whole traceback",
        )
    classes = tuple(
        UserClassInfo(c["name"], c["kind"], c["weight"], c["fixed_count"], c["line"])
        for c in report["classes"]
    )
    if not classes:
        raise BadInput(
            "the locustfile defines no user class",
            path=file,
            hint="define a class deriving from HttpUser or FastHttpUser with @task methods",
        )
    for info, raw in zip(classes, report["classes"], strict=True):
        if not raw["tasks"]:
            raise BadInput(
                f"user class {info.name} has no tasks",
                path=file,
                line=info.line,
                hint="add @task methods, or set abstract = True on a base class",
            )
    described = ", ".join(f"{c.name} ({c.kind}, weight {c.weight})" for c in classes)
    doc = str(report.get("doc") or "").strip().splitlines()
    return LocustfileScenario(
        name=file.stem,
        description=(doc[0] + " " if doc else "") + f"own locustfile {file.name}: {described}",
        users=(),
        source=str(file),
        kind="locustfile",
        classes=classes,
        shapes=tuple(report.get("shapes") or ()),
    )


def _inspect_in_subprocess(file: Path) -> dict[str, Any]:
    """:func:`inspect_locustfile` in a ``python`` child (Locust stays out of this process)."""
    with tempfile.TemporaryDirectory(prefix="erpcap-check-") as folder:
        out = Path(folder) / "report.json"
        code = (
            "import sys\n"
            "from erpcap.scenarios.own_locustfile import write_inspection\n"
            "write_inspection(sys.argv[1], sys.argv[2])\n"
        )
        argv = die_with_parent([sys.executable, "-c", code, str(file), str(out)])
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise BadInput(
                f"importing the locustfile took longer than {CHECK_TIMEOUT_S:.0f} s",
                path=file,
                hint="do no network calls or long work at import time; do it in on_start",
            ) from None
        if not out.is_file():
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise BadInput(
                f"checking the locustfile failed (exit {proc.returncode}): {last}", path=file
            )
        report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return report


def write_inspection(path: str, out: str) -> None:
    """The subprocess's side: inspect ``path`` and write the report as JSON to ``out``."""
    report = inspect_locustfile(Path(path))
    Path(out).write_text(json.dumps(report), encoding="utf-8")
    sys.stdout.flush()
    os._exit(0)  # threads or atexit handlers the file started must not hold the check


def inspect_locustfile(file: Path) -> dict[str, Any]:
    """Import ``file`` (this imports Locust) and describe it as JSON-ready data.

    ``{"error": {"type", "message", "file", "line"}}`` when it does not import, else
    ``{"classes": [{"name", "kind", "weight", "fixed_count", "line", "tasks"}], "shapes":
    [...], "doc": ...}``.
    """
    try:
        module = _import_file(file)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from the file too
        return {"error": _where(exc, file)}
    from locust import FastHttpUser, HttpUser

    classes = []
    for name, cls in _user_classes(module).items():
        kind = "FastHttpUser" if issubclass(cls, FastHttpUser) else "HttpUser"
        if not issubclass(cls, FastHttpUser | HttpUser):
            kind = "User"
        classes.append(
            {
                "name": name,
                "kind": kind,
                "weight": int(getattr(cls, "weight", 1) or 0),
                "fixed_count": int(getattr(cls, "fixed_count", 0) or 0),
                "line": _line_of(cls),
                "tasks": len(getattr(cls, "tasks", None) or ()),
            }
        )
    return {"classes": classes, "shapes": sorted(_shape_classes(module)), "doc": module.__doc__}


def _where(exc: BaseException, file: Path) -> dict[str, Any]:
    """The type, message, file and line of an import error, at the user's own code."""
    where_file: str | None = str(file)
    line: int | None = None
    if isinstance(exc, SyntaxError):  # its line is where the parser stopped
        where_file, line = exc.filename or str(file), exc.lineno
        message = exc.msg
    else:
        message = str(exc) or type(exc).__name__
        frames = traceback.extract_tb(exc.__traceback__)
        own = [f for f in frames if Path(f.filename) == file]
        if own:
            line = own[-1].lineno
        elif frames:
            where_file, line = frames[-1].filename, frames[-1].lineno
    return {
        "type": type(exc).__name__,
        "message": " ".join(message.split()),
        "file": where_file,
        "line": line,
    }


def _line_of(cls: type[Any]) -> int | None:
    import inspect

    try:
        return inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None


def _module_name(file: Path) -> str:
    stem = file.stem
    if stem in _TAKEN or stem in sys.modules or not stem.isidentifier():
        return f"erpcap_own_{abs(hash(str(file)))}"
    return stem


def _import_file(file: Path) -> ModuleType:
    """Import ``file`` once per process, its folder first on ``sys.path`` (as Locust does,
    so that it can import modules beside it)."""
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) == str(file):
            return module
    folder = str(file.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    if os.getcwd() not in sys.path:
        sys.path.insert(1, os.getcwd())
    name = _module_name(file)
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {file} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _user_classes(module: ModuleType) -> dict[str, type[Any]]:
    """The module's concrete Locust user classes, by name (Locust's own test)."""
    from locust.util.load_locustfile import is_user_class

    return {name: value for name, value in vars(module).items() if is_user_class(value)}


def _shape_classes(module: ModuleType) -> list[str]:
    from locust.util.load_locustfile import is_shape_class

    return [name for name, value in vars(module).items() if is_shape_class(value)]


def imported_user_classes(scenario: Scenario, settings: LoadSettings) -> dict[str, type[Any]]:
    """In the Locust process: the user classes of the file ``scenario.source``, untouched.

    ``settings`` (think scale, password, seed) does not apply: the file's own wait times,
    credentials and data are used as written.
    """
    del settings
    return _user_classes(_import_file(Path(scenario.source)))
