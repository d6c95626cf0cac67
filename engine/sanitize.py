"""Text from definitions and data made safe where it is shown: terminals and XML.

Names, titles, published wordings and breakdown values come from files and datasets that
anyone may have written. A control character in them must not act: an escape sequence
(ESC [ ... m, an OSC title or hyperlink) would recolour, retitle or rewrite the terminal, a
carriage return would overwrite what the line said, a bidirectional override would show
text in another order than it is stored. They are shown instead, as `\\x1b` or `\\u202e`,
so the reader sees that something odd is in the text and where.
"""
from __future__ import annotations

import re

# C0 controls but tab and line feed, DEL and the C1 controls (0x9b is a one-byte CSI), and the
# bidirectional embeddings, overrides and isolates
UNSAFE_CHARACTERS = _TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# what XML 1.0 does not allow at all (Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF])
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _shown(match: re.Match) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """`text` with every control character but tab and line break shown as an escape (\\x1b), never obeyed."""
    return _TERMINAL_UNSAFE.sub(_shown, text)


def json_terminal_safe(text: str) -> str:
    """JSON text (as json.dumps writes it) with the characters a terminal could obey written as JSON escapes.

    json.dumps(ensure_ascii=False) escapes C0 controls but not DEL, C1 controls or
    bidirectional controls; those can only stand inside strings, where \\u009b is the same
    character to a JSON reader. The document stays equal to the original.
    """
    return _TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def xml_safe(text: str) -> str:
    """`text` with what XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF, lone surrogates) shown as escapes."""
    return _NOT_XML.sub(_shown, text)
