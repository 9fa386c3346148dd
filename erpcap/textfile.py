"""Reading a user's text file (YAML, JSON, a log) with one clear line when it is not text.

Every file reader of erpcap goes through :func:`read_text`, so that a file saved in another
encoding (GBK from a Chinese Windows editor, Latin-1, UTF-16) or a binary file given by
mistake ends in a :class:`~erpcap.errors.BadInput` naming the file, the line of the first bad
byte and the fix — never a ``UnicodeDecodeError`` traceback.
"""

from __future__ import annotations

from pathlib import Path

from erpcap.errors import BadInput


def read_text(
    path: str | Path, what: str, *, error: type[BadInput] = BadInput, hint: str | None = None
) -> str:
    """The UTF-8 text of ``path`` (a BOM is dropped); ``error`` names what went wrong.

    ``what`` says which kind of file it is ("shape", "budgets") in the message.

    >>> import tempfile, os
    >>> bad = os.path.join(tempfile.mkdtemp(), "shape.yaml")
    >>> _ = open(bad, "wb").write("steps:\\n  - users: 5 # 五\\n".encode("gbk"))
    >>> read_text(bad, "shape")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    erpcap.errors.BadInput: ...shape.yaml:2: the shape file is not UTF-8 text (byte 0xce) (save it as UTF-8)
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise error(f"no such {what} file", path=file, hint=hint or "check the path") from None
    except IsADirectoryError:
        raise error(f"the {what} file is a folder", path=file, hint=hint) from None
    except OSError as exc:
        raise error(f"cannot read the {what} file: {exc.strerror}", path=file) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(
            f"the {what} file is not UTF-8 text (byte 0x{data[exc.start]:02x})",
            path=file,
            line=line,
            hint="save it as UTF-8",
        ) from None
