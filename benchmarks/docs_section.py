"""Writing one benchmark's section of docs/benchmarks.md (imported by the benchmark scripts,
which run with this folder first on ``sys.path``).

Every section gets the machine's facts (machine.py) as its second line, so that a figure is
never read apart from the machine and the load it was measured on."""

from __future__ import annotations

from pathlib import Path

from machine import Machine

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def replace_section(
    head: str, section: str, docs: Path = DOCS, *, machine: Machine | str | None = None
) -> None:
    """Put ``section`` (which starts with the heading ``head``, e.g. ``## Open model``) in
    place of the section of that heading, up to the next ``## ``; at the end if there is none.

    The machine's line goes right under the heading: ``machine`` as read when the benchmark
    started (best), or read now when it is None; a string is taken as the line itself.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "b.md"
    >>> _ = path.write_text("# B\\n\\n## A\\nold\\n\\n## C\\nc\\n")
    >>> replace_section("## A", "## A\\nnew\\n", path, machine="*M*"); path.read_text()
    '# B\\n\\n## A\\n\\n*M*\\n\\nnew\\n\\n## C\\nc\\n'
    >>> replace_section("## D", "## D\\nd\\n", path, machine="*M*")
    >>> path.read_text().endswith("c\\n\\n## D\\n\\n*M*\\n\\nd\\n")
    True
    """
    if not isinstance(machine, str):
        machine = (machine or Machine.now()).line()
    title, _, body = section.partition("\n")
    section = f"{title}\n\n{machine}\n\n{body.lstrip(chr(10))}"
    text = docs.read_text(encoding="utf-8") if docs.exists() else "# Benchmarks\n"
    start, end = _bounds(text, head)
    if start >= 0:
        text = text[:start] + section.rstrip("\n") + "\n" + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    docs.write_text(text, encoding="utf-8")


def kept_notes(head: str, docs: Path = DOCS) -> str:
    """The hand-written end of the section ``head``: from its first ``### `` heading on (a
    benchmark that rewrites its section appends it again), or ``""``.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "b.md"
    >>> _ = path.write_text("## A\\nfigures\\n\\n### Why\\nnotes\\n\\n## C\\n")
    >>> kept_notes("## A", path)
    '\\n### Why\\nnotes\\n'
    """
    text = docs.read_text(encoding="utf-8") if docs.exists() else ""
    start, end = _bounds(text, head)
    sub = text.find("\n### ", start, end) if start >= 0 else -1
    return "" if sub < 0 else text[sub:end].rstrip("\n") + "\n"


def _bounds(text: str, head: str) -> tuple[int, int]:
    """Where the section ``head`` starts and ends in ``text`` (start -1 when it is not there)."""
    start = text.find(head + "\n")
    if start < 0:
        return -1, -1
    end = text.find("\n## ", start + len(head))
    return start, end if end >= 0 else len(text)
