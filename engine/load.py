"""Stage 1, load: YAML files to plain Python data plus the source position of every node.

`Document.pos(path)` gives the position of the value at a JSON-pointer-like path (a tuple
of keys and indexes) and `Document.key_pos(path)` that of the mapping key naming it, so
later stages can point at `file:line:col` without carrying YAML nodes around.
"""
from __future__ import annotations

import bisect
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostics, Position

PathKey = tuple


@dataclass
class Document:
    file: str
    data: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    quoted: set = field(default_factory=set)  # paths of quoted scalars (text starts one column later)
    spans: dict[PathKey, tuple[tuple[int, int], ...]] = field(default_factory=dict)  # see _spans
    line_starts: list[int] = field(default_factory=list, repr=False)

    def pos(self, path: PathKey = ()) -> Position:
        """Position of the value at `path`, or of its nearest ancestor that is known."""
        path = tuple(path)
        while path not in self.positions and path:
            path = path[:-1]
        line, col = self.positions.get(path, (0, 0))
        return Position(self.file, line, col)

    def text_pos(self, path: PathKey, offset: int) -> Position:
        """Position of character `offset` inside the one-line string at `path`."""
        base = self.pos(path)
        if not base.line:
            return base
        return Position(base.file, base.line, base.col + offset + (1 if tuple(path) in self.quoted else 0))

    def key_pos(self, path: PathKey) -> Position:
        path = tuple(path)
        if path in self.key_positions:
            line, col = self.key_positions[path]
            return Position(self.file, line, col)
        return self.pos(path)


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: `on`, `off`, `yes`, `no` stay words (`on: datum`)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _spans(node: yaml.ScalarNode, text: str, line_starts: list[int]) -> tuple[tuple[int, int], ...]:
    """(line, col) in the file of each character of a scalar's value.

    A block scalar (`>-`, `|`), a quoted scalar with escapes or a plain one over several lines
    is not its source text: indentation is dropped, line breaks fold into spaces, escapes
    shrink. Each value character is matched to the next source character equal to it
    (whitespace to whitespace), so an error inside the text points at the real place.
    """
    value, start, end = node.value, node.start_mark.index, min(node.end_mark.index, len(text))
    if node.style in ("|", ">"):  # the content starts on the line after the header (`>-`, `|2`, comments)
        newline = text.find("\n", start, end)
        start = end if newline < 0 else newline + 1
    elif node.style in ("'", '"'):
        start += 1

    def where(index: int) -> tuple[int, int]:
        line = bisect.bisect_right(line_starts, index) - 1
        return line + 1, index - line_starts[line] + 1

    out, j = [], start
    for ch in value:
        if ch.isspace():
            while j < end and text[j] in " \t" and ch == "\n":  # a kept line break: at the end of its line
                j += 1
            out.append(where(min(j, max(end - 1, 0))))
            if j < end and text[j].isspace():
                j += 1
            continue
        k = j
        while k < end and text[k] != ch:
            k += 1
        if k < end:
            out.append(where(k))
            j = k + 1
        else:  # not found (an escape such as \u00e4): keep the last place
            out.append(where(min(j, max(end - 1, 0))))
    return tuple(out)


def _convert(node: yaml.Node, path: PathKey, doc: Document, loader: _Loader, diags: Diagnostics,
             text: str = ""):
    doc.positions[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                diags.error(Position(doc.file, *_mark(key_node)), "E_YAML",
                            "a mapping key must be a plain word")
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                diags.error(Position(doc.file, *_mark(key_node)), "E_DUPLICATE_KEY",
                            f"key '{key}' is given twice in the same mapping",
                            "keep one of them; YAML would silently use the last")
            doc.key_positions[path + (key,)] = _mark(key_node)
            result[key] = _convert(value_node, path + (key,), doc, loader, diags, text)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), doc, loader, diags, text) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.ScalarNode) and node.style in ("'", '"'):
        doc.quoted.add(path)
    if isinstance(node, yaml.ScalarNode) and text and (node.style in ("|", ">", '"')
                                                       or node.start_mark.line != node.end_mark.line):
        if not doc.line_starts:
            doc.line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        doc.spans[path] = _spans(node, text, doc.line_starts)
    try:
        value = loader.construct_object(node, deep=True)
    except ValueError as exc:  # e.g. an impossible unquoted date such as 2018-02-30
        diags.error(Position(doc.file, *_mark(node)), "E_YAML", f"'{node.value}' cannot be read: {exc}",
                    "write dates as YYYY-MM-DD with a real day; quote text that only looks like a date")
        return node.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()  # dates stay text in the loaded data; stages that need dates parse them
    if isinstance(value, float) and not math.isfinite(value):
        diags.error(Position(doc.file, *_mark(node)), "E_YAML", f"'{node.value}' is not a finite number",
                    "write an ordinary number")
        return None
    return value


def load_text(text: str, file: str, diags: Diagnostics) -> Document | None:
    """Parse one YAML document; on a syntax error record it and return None."""
    doc = Document(file=file, data=None)
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            diags.error(Position(file, 1, 1), "E_EMPTY", "the file is empty",
                        "write the definition as a YAML mapping")
            return None
        doc.data = _convert(node, (), doc, loader, diags, text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        diags.error(Position(file, line, col), "E_YAML", f"YAML syntax error: {problem}",
                    "check indentation, quotes and that a ':' follows each key; quote text that "
                    "contains ': ' or starts with a special character")
        return None
    except yaml.reader.ReaderError as exc:  # a control character: locate it, name it
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        diags.error(Position(file, line, col), "E_YAML", f"control character U+{char:04X} in the text",
                    "delete it (it is invisible in most editors; it often comes from copying out of a PDF "
                    "or a spreadsheet); a line break in text is written with a block scalar (|)")
        return None
    except yaml.YAMLError as exc:
        diags.error(Position(file, 1, 1), "E_YAML", f"YAML error: {str(exc).splitlines()[0]}",
                    "the file must be plain UTF-8 text")
        return None
    except RecursionError:
        diags.error(Position(file, 1, 1), "E_YAML", "the YAML nests too deeply (or an alias refers to itself)",
                    "write the structure out without recursive anchors and aliases")
        return None
    finally:
        if loader is not None:
            loader.dispose()
    return doc


def load_file(path: Path, diags: Diagnostics, display: str | None = None) -> Document | None:
    file = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        diags.error(Position(file), "E_FILE_NOT_FOUND", f"no such file: {file}",
                    "check the path")
        return None
    except UnicodeDecodeError as exc:
        diags.error(Position(file), "E_ENCODING", f"the file is not UTF-8 ({exc.reason})",
                    "save it as UTF-8")
        return None
    except OSError as exc:
        diags.error(Position(file), "E_FILE", f"cannot read {file}: {exc.strerror}")
        return None
    return load_text(text, file, diags)
