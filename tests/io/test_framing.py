"""The pure serial codecs: board frames and scanner lines."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gated.devices.serial import framing as f
from gated.devices.serial.board import fit_text
from gated.devices.serial.lines import LineDecoder
from gated.devices.serial.rejected import Rejected

frames = st.builds(f.Frame, st.integers(0, 255), st.integers(0, 255), st.integers(0, 255),
                   st.binary(max_size=f.MAX_DATA))


def test_crc_is_crc16_modbus():
    assert f.crc16(b"123456789") == 0x4B37


@given(st.lists(frames, max_size=5), st.binary(max_size=40), st.integers(1, 17))
def test_frames_survive_garbage_and_any_chunking(items, junk, chunk):
    stream = junk.replace(bytes([f.STX]), b"") + b"".join(f.encode(x) for x in items)
    dec, out = f.FrameDecoder(), []
    for i in range(0, len(stream), chunk):
        out.extend(dec.feed(stream[i:i + chunk]))
    assert [x for x in out if isinstance(x, f.Frame)] == items
    assert all(isinstance(x, Rejected) and "garbage" in x.reason
               for x in out if not isinstance(x, f.Frame))


def test_bad_frames_are_rejected_with_reasons_and_the_next_one_is_found():
    good = f.encode(f.Frame(1, 7, f.ACK))
    bad_crc = bytearray(f.encode(f.Frame(1, 6, f.ACK, b"x")))
    bad_crc[-3] ^= 0xFF
    oversized = bytes([f.STX, 1, 2, 3, 250])
    short = f.encode(f.Frame(1, 5, f.CMD_TEXT, b"hello"))[:6]
    out = f.FrameDecoder().feed(bytes(bad_crc) + oversized + short + good)
    reasons = [x.reason for x in out if isinstance(x, Rejected)]
    assert out[-1] == f.Frame(1, 7, f.ACK)
    assert any("bad checksum" in r for r in reasons)
    assert any("oversized" in r for r in reasons)
    dec = f.FrameDecoder()
    assert dec.feed(short) == [] and "short frame" in dec.flush().reason


def test_fit_text_cuts_on_character_boundaries():
    assert fit_text("Xe 29C-123.45 mời vào", 200) == "Xe 29C-123.45 mời vào".encode()
    cut = fit_text("ời" * 10, 7)
    assert len(cut) <= 7 and cut.decode("utf-8")


def test_scanner_lines_cr_crlf_lf_and_rejections():
    dec = LineDecoder(max_length=8)
    out = dec.feed(b"AB\rCD\r\nEF\n\r\n" + b"X" * 20 + b"\rok\r\xc3\x28\r\x1bx\r")
    assert [x for x in out if isinstance(x, str)] == ["AB", "CD", "EF", "ok"]
    reasons = [x.reason for x in out if isinstance(x, Rejected)]
    assert reasons == ["line longer than 8 bytes (20)", "not UTF-8 text", "control characters in line"]
    assert dec.feed(b"part") == [] and dec.flush().reason.startswith("unterminated")


@given(st.lists(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1,
                        max_size=30), max_size=5), st.integers(1, 9))
def test_any_printable_lines_come_back_whole(lines, chunk):
    stream = b"".join(x.encode() + b"\r\n" for x in lines)
    dec, out = LineDecoder(64), []
    for i in range(0, len(stream), chunk):
        out.extend(dec.feed(stream[i:i + chunk]))
    assert out == lines
