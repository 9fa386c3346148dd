"""Numbers and counts said in English words, for messages, findings and headlines.

Shared by the stages that write English text (the analysis's findings and verdict, the
command line's progress and the gate's table); the reports say the same in each language
with :mod:`erpcap.reports.i18n`.
"""

from __future__ import annotations

__all__ = ["format_change", "format_ms", "format_percent", "plural"]


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``count`` and the noun, singular for exactly one.

    >>> plural(1, "user"), plural(40, "user"), plural(2, "budget"), plural(1, "budget")
    ('1 user', '40 users', '2 budgets', '1 budget')
    """
    word = noun if count == 1 else (nouns or f"{noun}s")
    return f"{count:,} {word}"


def format_ms(value: float | None, *, seconds: str = "s") -> str:
    """A latency for people: milliseconds below one second, seconds above (``seconds`` is
    the unit's word, for other languages).

    >>> format_ms(147.2), format_ms(1530.0), format_ms(None), format_ms(1530.0, seconds="秒")
    ('147 ms', '1.53 s', 'n/a', '1.53 秒')
    """
    if value is None:
        return "n/a"
    return f"{value / 1000:.2f} {seconds}" if value >= 1000 else f"{value:.0f} ms"


def format_percent(ratio: float | None) -> str:
    """A ratio as a percentage with as many decimals as it needs (at most two).

    >>> format_percent(0.01), format_percent(0.005), format_percent(0.1234), format_percent(0)
    ('1%', '0.5%', '12.34%', '0%')
    """
    if ratio is None:
        return "n/a"
    text = f"{ratio * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def format_change(ratio: float) -> str:
    """A relative change in words: ``rose 5%``, ``fell 12%``, ``did not change``.

    >>> format_change(0.05), format_change(-0.12), format_change(0.001)
    ('rose 5%', 'fell 12%', 'did not change')
    """
    if abs(ratio) < 0.005:
        return "did not change"
    return f"{'rose' if ratio > 0 else 'fell'} {abs(ratio):.0%}"
