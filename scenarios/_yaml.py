"""YAML reading that keeps line numbers, so bad input can name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from erpcap.errors import BadInput
from erpcap.textfile import read_text

#: Key under which each mapping records its 1-based line.
LINE_KEY = "__line__"


class _LineLoader(yaml.SafeLoader):
    """A safe loader that records each mapping's 1-based line under ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path, what: str) -> Any:
    """The document in ``path``; mappings carry ``__line__``. BadInput names file and line."""
    text = read_text(path, what)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise BadInput(f"the {what} file is binary, not YAML", path=path, line=line)
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise BadInput(
            f"not valid YAML: character U+{exc.character:04X} is not allowed in YAML",
            path=path,
            line=line,
            hint="remove the control character",
        ) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise BadInput(f"not valid YAML: {exc.problem}", path=path, line=mark) from exc
    except yaml.YAMLError as exc:
        raise BadInput(f"not valid YAML: {exc}", path=path) from exc


def line_of(node: Any, default: int) -> int:
    """The line a mapping started on, or ``default``."""
    return int(node.get(LINE_KEY, default)) if isinstance(node, dict) else default


def keys(node: dict[str, Any]) -> list[str]:
    """The real keys of a loaded mapping (without ``__line__``)."""
    return [str(k) for k in node if k != LINE_KEY]
