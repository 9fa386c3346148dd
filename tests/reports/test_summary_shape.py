"""The load shape reads as words in the run facts, not as a raw document."""

from __future__ import annotations

from erpcap.reports.i18n import Translator
from erpcap.reports.summary import _shape_text


def test_ladder_reads_as_users_per_step():
    shape = {
        "kind": "steps",
        "spawn_rate": 10.0,
        "steps": [{"users": 2, "duration_s": 10.0}, {"users": 5, "duration_s": 10.0}],
    }
    text = _shape_text(shape, Translator("en"))
    assert text.startswith("steps: 2 → 5 users")
    assert "per step" in text and "{" not in text


def test_uneven_steps_read_as_a_total_and_translate():
    shape = {
        "kind": "steps",
        "steps": [{"users": 1, "duration_s": 10.0}, {"users": 3, "duration_s": 50.0}],
    }
    assert "over" in _shape_text(shape, Translator("en"))
    assert "个用户" in _shape_text(shape, Translator("zh-CN"))
