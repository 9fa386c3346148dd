"""``${...}`` templates of declarative scenarios: find their references, fill them in.

A template is any string of a scenario's paths, query parameters, JSON bodies and headers.
``${feeder.column}`` takes a column of the user's current feeder row, ``${env.NAME}`` an
environment variable, ``${name}`` a value saved from an earlier response. A string that is
exactly one reference keeps the value's type (a saved id stays a number in a JSON body);
references inside longer text are formatted with ``str``. ``$${`` writes a literal ``${``.

>>> render({"id": "${order_id}", "note": "order ${order_id}"}, {"order_id": 7}.__getitem__)
{'id': 7, 'note': 'order 7'}
>>> references(["/items/${items.id}", {"q": "${env.Q}"}])
['items.id', 'env.Q']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from erpcap.scenarios._yaml import LINE_KEY

_REF = re.compile(r"\$\$\{|\$\{([^}]*)\}")


def references(value: Any) -> list[str]:
    """Every reference in ``value`` (strings, lists and mappings, keys included), in order."""
    found: list[str] = []
    if isinstance(value, str):
        found.extend(m.group(1).strip() for m in _REF.finditer(value) if m.group(1) is not None)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != LINE_KEY:
                found.extend(references(key))
                found.extend(references(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(references(item))
    return found


def render(value: Any, lookup: Callable[[str], Any]) -> Any:
    """``value`` with every reference replaced by ``lookup(reference)``."""
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole is not None and whole.group(1) is not None:
            return lookup(whole.group(1).strip())

        def one(match: re.Match[str]) -> str:
            if match.group(1) is None:
                return "${"
            return str(lookup(match.group(1).strip()))

        return _REF.sub(one, value)
    if isinstance(value, dict):
        return {render(k, lookup): render(v, lookup) for k, v in value.items() if k != LINE_KEY}
    if isinstance(value, list):
        return [render(item, lookup) for item in value]
    return value


def plain(value: Any) -> Any:
    """``value`` without the ``__line__`` keys the YAML loader adds to every mapping."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != LINE_KEY}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def dig(body: Any, path: str) -> Any:
    """The value at a dotted ``path`` in a JSON body (list items by index; ``.`` is the whole
    body); KeyError if none.

    >>> dig({"data": {"items": [{"id": 4}]}}, "data.items.0.id"), dig(17, ".")
    (4, 17)
    """
    if path == ".":
        return body
    value = body
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif (
            isinstance(value, list)
            and part.lstrip("-").isdigit()
            and -len(value) <= int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            raise KeyError(path)
    return value
