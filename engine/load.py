"""Stage 1, load: YAML files to plain Python data plus the source position of every node.

`Document.pos(path)` gives the position of the value at a JSON-pointer-like path (a tuple
of keys and indexes) and `Document.key_pos(path)` that of the mapping key naming it, so
later stages can point at `file:line:col` without carrying YAML nodes around.
"""
from __future__ import annotations

import bisect
import datetime as dt
import io
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .diagnostics import Diagnostics, Position
from .sanitize import UNSAFE_CHARACTERS  # written as escapes ("\\x1b") they pass the reader

PathKey = tuple

# Every YAML input (catalogue, model, project, fixtures, --mapping, --data x.yaml) is bounded, so that a
# hostile or mistaken file fails fast with a located error instead of taking minutes and gigabytes:
MAX_YAML_BYTES = 2 * 1024 * 1024  # 2 MiB: over 100 times the largest golden fixture (19 KB)
MAX_YAML_NODES = 200_000          # values (scalars, lists, mappings), an alias counted as a copy of what it repeats

# libyaml's C parser (CSafeLoader's) reads 15-20 times faster than the pure-Python one, with the same marks.
# Only its parser is used: composing (the node limits), resolving and constructing stay the Python code below,
# and any failure while composing is read again with the pure loader, so every diagnostic is the pure one's.
# INDICATORS_PURE_YAML=1 (or LIBYAML = False) forces the pure-Python loader.
LIBYAML = bool(getattr(yaml, "__with_libyaml__", False)) and os.environ.get("INDICATORS_PURE_YAML", "") in ("", "0")


def _number(n: int) -> str:
    return f"{n:_}".replace("_", " ")


class _TooManyNodes(Exception):
    def __init__(self, mark):
        self.mark = mark


class _RecursiveAlias(Exception):
    def __init__(self, mark, anchor: str):
        self.mark, self.anchor = mark, anchor


@dataclass
class Document:
    file: str
    data: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    quoted: set = field(default_factory=set)  # paths of quoted scalars (text starts one column later)
    spans: dict[PathKey, tuple[tuple[int, int], ...]] = field(default_factory=dict)  # see _spans
    line_starts: list[int] = field(default_factory=list, repr=False)
    text: str = field(default="", repr=False)  # the source text, as read once

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


if TYPE_CHECKING:
    _LoaderBase = yaml.SafeLoader
else:
    _LoaderBase = object


class _Limits(_LoaderBase):
    """A loader with YAML 1.2 booleans: `on`, `off`, `yes`, `no` stay words (`on: datum`).

    It counts the values it composes, an alias as the size of the value it repeats, and stops
    past MAX_YAML_NODES: a few hundred bytes of nested aliases (a "billion laughs") would
    otherwise expand to billions of values later.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self.nodes = 0
        self.visited = 0                    # nodes converted (see _convert)
        self._sizes: dict[int, int] = {}    # id(node) -> values in its expanded tree (complete nodes only)
        self._open: list[str | None] = []   # anchors of the nodes being composed

    def _count(self, n: int, mark) -> None:
        self.nodes += n
        if self.nodes > MAX_YAML_NODES:
            raise _TooManyNodes(mark)

    def _expanded(self, node: yaml.Node) -> int:
        """Values in the tree `node` stands for (a DAG walk with memo: linear in the composed nodes)."""
        sizes, stack = self._sizes, [(node, False)]
        while stack:
            current, children_done = stack.pop()
            if id(current) in sizes:
                continue
            children = [] if isinstance(current, yaml.ScalarNode) else \
                [n for pair in current.value for n in pair] if isinstance(current, yaml.MappingNode) else current.value
            if children_done:
                sizes[id(current)] = 1 + sum(sizes[id(c)] for c in children)
            else:
                stack.append((current, True))
                stack.extend((c, False) for c in children if id(c) not in sizes)
        return sizes[id(node)]

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                raise _RecursiveAlias(event.start_mark, str(event.anchor))
            target = self.anchors.get(event.anchor)
            if target is not None:  # an undefined alias is the composer's own error
                self._count(self._expanded(target), event.start_mark)
            return super().compose_node(parent, index)
        self._count(1, event.start_mark)
        self._open.append(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._open.pop()


class _Loader(_Limits, yaml.SafeLoader):
    """The pure-Python loader."""


_CLoader: type[_Limits] | None = None
if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser
    from yaml.composer import Composer
    from yaml.constructor import SafeConstructor
    from yaml.resolver import Resolver

    class _CParsed(Composer, CParser, SafeConstructor, Resolver):
        """libyaml's parser under the pure-Python composer (before CParser's, so compose_node can be overridden)."""

        def __init__(self, stream):
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)

    class _CLoaderClass(_Limits, _CParsed):
        """The loader on libyaml's parser."""

    _CLoader = _CLoaderClass

for _cls in (_Loader, _CLoader):
    if _cls is None:
        continue
    _cls.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _cls.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                               list("tTfF"))


def _compose(text: str) -> tuple[_Limits, yaml.Node | None]:
    """The loader and the document's root node; raises as the pure loader does."""
    if LIBYAML and _CLoader is not None:
        fast = _CLoader(text)
        try:
            return fast, fast.get_single_node()
        except (yaml.YAMLError, _TooManyNodes, _RecursiveAlias, RecursionError):
            pass  # read again below, so that the diagnostic is exactly the pure loader's
        fast.dispose()
    loader = _Loader(text)
    try:
        return loader, loader.get_single_node()
    except BaseException:
        loader.dispose()
        raise


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


def _convert(node: yaml.Node, path: PathKey, doc: Document, loader: _Limits, diags: Diagnostics,
             text: str = ""):
    loader.visited += 1
    if loader.visited > MAX_YAML_NODES:  # composing counted aliases already; this bounds any other expansion
        raise _TooManyNodes(node.start_mark)
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
    if isinstance(value, str) and (bad := UNSAFE_CHARACTERS.search(value)):
        spans = doc.spans.get(path)
        line, col = spans[bad.start()] if spans and bad.start() < len(spans) else _mark(node)
        diags.error(Position(doc.file, line, col), "E_CONTROL_CHAR",
                    f"the text holds the control character U+{ord(bad.group()):04X}",
                    "remove it: published text, names and values are plain text (a line break in text is written "
                    "with a block scalar |; a tab is allowed)")
        return value
    return value


def load_text(text: str, file: str, diags: Diagnostics) -> Document | None:
    """Parse one YAML document; on a syntax error record it and return None."""
    doc = Document(file=file, data=None, text=text)
    loader: _Limits | None = None
    try:
        loader, node = _compose(text)
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
    except _TooManyNodes as exc:
        diags.error(Position(file, exc.mark.line + 1, exc.mark.column + 1), "E_YAML_TOO_LARGE",
                    f"the YAML holds more than {_number(MAX_YAML_NODES)} values here (an alias counts as a copy "
                    "of what it repeats)",
                    "a definition, fixture or mapping needs far fewer; write repeated parts out instead of "
                    "nesting aliases, and put a large dataset in a .duckdb file or a folder of Parquet/CSV files")
        return None
    except _RecursiveAlias as exc:
        diags.error(Position(file, exc.mark.line + 1, exc.mark.column + 1), "E_YAML",
                    f"the alias *{exc.anchor} refers to the value it is part of, so it never ends",
                    "write the structure out without recursive anchors and aliases")
        return None
    except RecursionError:
        diags.error(Position(file, 1, 1), "E_YAML", "the YAML nests too deeply (or an alias refers to itself)",
                    "write the structure out without recursive anchors and aliases")
        return None
    finally:
        if loader is not None:
            loader.dispose()
    return doc


class _NotRegular(Exception):
    pass


class _TooLarge(Exception):
    def __init__(self, head: bytes):
        self.head = head  # the first MAX_YAML_BYTES + 1 bytes


def _read_bounded(path: Path) -> str:
    """The file's text, as `Path.read_text(encoding="utf-8")` gives it, if it is a regular file within the limit.

    Opened without blocking and checked with fstat on the open file: a named pipe (FIFO)
    named *.yaml would otherwise wait for a writer forever, and a device never ends.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _NotRegular
        chunks, size = [], 0
        while size <= MAX_YAML_BYTES:
            chunk = os.read(fd, MAX_YAML_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_YAML_BYTES:
        raise _TooLarge(data)
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()  # universal newlines, as read_text


def _limit_position(file: str, head: bytes) -> Position:
    """Where the file passes the size limit: the line and column of its first byte beyond it."""
    line_start = head.rfind(b"\n", 0, MAX_YAML_BYTES) + 1
    column = len(head[line_start:MAX_YAML_BYTES].decode("utf-8", errors="ignore")) + 1
    return Position(file, head.count(b"\n", 0, MAX_YAML_BYTES) + 1, column)


def load_file(path: Path, diags: Diagnostics, display: str | None = None) -> Document | None:
    file = display or str(path)
    try:
        text = _read_bounded(path)
    except FileNotFoundError:
        diags.error(Position(file), "E_FILE_NOT_FOUND", f"no such file: {file}",
                    "check the path")
        return None
    except _NotRegular:
        diags.error(Position(file), "E_FILE_NOT_REGULAR",
                    f"{file} is not a regular file (a named pipe, device or socket)",
                    "give a YAML file; reading a pipe would wait for a writer forever")
        return None
    except _TooLarge as exc:
        diags.error(_limit_position(file, exc.head), "E_FILE_TOO_LARGE",
                    f"the file is larger than the {MAX_YAML_BYTES // (1024 * 1024)} MiB "
                    f"({_number(MAX_YAML_BYTES)} bytes) a YAML input may have; it goes past the limit here",
                    "a definition, fixture or mapping is a few KB; put a large dataset in a .duckdb file or a "
                    "folder of Parquet/CSV files (--data)")
        return None
    except UnicodeDecodeError as exc:
        diags.error(Position(file), "E_ENCODING", f"the file is not UTF-8 ({exc.reason})",
                    "save it as UTF-8")
        return None
    except OSError as exc:
        diags.error(Position(file), "E_FILE", f"cannot read {file}: {exc.strerror}")
        return None
    return load_text(text, file, diags)
