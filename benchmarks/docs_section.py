"""Writing one benchmark's section of docs/benchmarks.md (imported by the benchmark scripts,
which run with this folder first on ``sys.path``)."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def replace_section(head: str, section: str, docs: Path = DOCS) -> None:
    """Put ``section`` (which starts with the heading ``head``, e.g. ``## Open model``) in
    place of the section of that heading, up to the next ``## ``; at the end if there is none.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "b.md"
    >>> _ = path.write_text("# B\\n\\n## A\\nold\\n\\n## C\\nc\\n")
    >>> replace_section("## A", "## A\\nnew\\n", path); path.read_text()
    '# B\\n\\n## A\\nnew\\n\\n## C\\nc\\n'
    >>> replace_section("## D", "## D\\nd\\n", path); path.read_text().endswith("c\\n\\n## D\\nd\\n")
    True
    """
    text = docs.read_text(encoding="utf-8") if docs.exists() else "# Benchmarks\n"
    start = text.find(head + "\n")
    if start >= 0:
        end = text.find("\n## ", start + len(head))
        text = text[:start] + section.rstrip("\n") + "\n" + (text[end:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    docs.write_text(text, encoding="utf-8")
