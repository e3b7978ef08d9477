"""Escaping untrusted text for logs and displays."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gated.qr.safe_text import safe


def test_printable_text_is_kept_and_controls_are_escaped() -> None:
    assert safe("29C-123.45 桂A·1234挂") == "29C-123.45 桂A·1234挂"
    assert safe("a\x00b\nc\u202ed\\") == "a\\x00b\\x0ac\\u202ed\\\\"
    assert safe(b"ok\xff") == "ok\\xff"
    assert safe(None) == ""


def test_truncation_marks_the_cut() -> None:
    assert safe("x" * 10, limit=4) == "xxxx…"
    assert safe("x" * 4, limit=4) == "xxxx"


@given(st.text(max_size=400), st.integers(min_value=1, max_value=200))
def test_output_is_printable_and_bounded(text: str, limit: int) -> None:
    out = safe(text, limit)
    assert out.isprintable()
    assert len(out) <= limit + 1
