"""The catalogue as a static, browsable site: `indicators docs --out DIR`.

`build_site` returns every page as {relative path: bytes}; it reads nothing but the
catalogue's own files (indicators, model, fixtures beside it) and the git history of the
indicator files, and writes nothing (engine.api.docs writes the set with
engine.outputs.write_set). The pages:

    index.html                 every indicator; filters (report, owner, unit) and a text search
    indicators/<id>.html       one per indicator: explanation (sv, en), the YAML with line numbers,
                               the SQL of every dialect, the golden fixture, published figures with
                               full citations (and, with a dataset, the check's verdicts and the
                               attrition), version history (changes: and git), report section, lineage
    model.html                 entities, columns, allowed values, calculated columns, relationships
                               (an SVG diagram), rules, temporal relationships, classifications
    sources.html               the sources of project.yaml, in full, with the figures citing each
    style.css                  one stylesheet

Offline and self-contained: nothing is fetched from anywhere but the site's own folder (no
CDN, no font, no link to the web; a source's URL is shown as text), and each page's
Content-Security-Policy says so to the browser. The search works on file:// pages: the
catalogue's search data is embedded in index.html, not fetched, and without JavaScript every
indicator is listed. Every text from the catalogue is escaped (html.escape; the embedded
JSON with `<`, `>` and `&` as JSON escapes). Deterministic: no clock, everything in a fixed
order, so two builds of the same catalogue give byte-identical files.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import itertools
import json
import re
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .catalogue import MODEL_FILE, Catalogue
from .diagnostics import Diagnostics
from .info import PublishedFigure
from .lineage import Lineage, lineage, readers
from .load import MAX_YAML_BYTES, _Loader, load_file
from .model import Column, Entity, Model
from .periods import PeriodError, parse_period
from .present import breakdown_label, format_number
from .render import DIALECTS, CompileRefused
from .shielded import VERDICT_SV

GENERATOR = "indicators docs"
UNIT_LABELS = {"count": "antal", "share": "andel", "days": "dagar", "years": "år", "ratio": "kvot"}
REPORT_PERIODS = {"year": "år", "H1": "första halvåret", "H2": "andra halvåret"}
NO_REPORT = "-"   # the report filter's value for indicators that belong to no report
CHECK_WORDS = {True: "ja", False: "NEJ", None: VERDICT_SV}  # None: it rests on a suppressed cell
NONE = '<span class="muted">–</span>'   # an empty cell


def e(value: object) -> str:
    """Escaped text for HTML content and quoted attribute values."""
    return html.escape(str(value), quote=True)


def anchor(text: str) -> str:
    """An id (and fragment) for any text: letters, digits, _ and - kept, every other character as .xx (hex)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "".join(f".{b:02x}" for b in c.encode())
                   for c in text)


def indicator_path(ident: str) -> str:
    return f"indicators/{ident}.html"


def column_anchor(entity: str, column: str) -> str:
    return anchor(f"{entity}-{column}")


def entity_anchor(entity: str) -> str:
    return anchor(f"entity-{entity}")


def figure_anchor(figure_id: str) -> str:
    return "figure-" + anchor(figure_id)


def source_anchor(source_id: str) -> str:
    return "source-" + anchor(source_id)


# ---------------------------------------------------------------- what the data adds (engine.api.docs)

@dataclass
class DataResults:
    """What a dataset adds to the site: the check's verdicts and each indicator's attrition."""
    dataset: str                                      # as named on the command line
    checks: Any = None                                # engine.check.CheckResult, or None
    check_error: str = ""                             # why the check could not run
    attrition: dict[str, Any] = field(default_factory=dict)        # indicator -> engine.attrition.Attrition
    attrition_errors: dict[str, str] = field(default_factory=dict)  # indicator -> why it could not be counted


# ---------------------------------------------------------------- periods

def _latest(labels: Iterable[str]) -> str | None:
    parsed = []
    for label in labels:
        try:
            parsed.append(parse_period(label))
        except PeriodError:
            continue
    return max(parsed, key=lambda p: (p.last, p.first)).label if parsed else None


def representative_period(catalogue: Catalogue, indicator_id: str, year: str | None = None,
                          fixture: dict | None = None) -> str:
    """The period the site shows an indicator for (its SQL, its attrition).

    With a year: the indicator's report period of that year (2018, 2018H2, 2018-12). Else the
    latest period it has published figures for; else the latest year any indicator published
    figures for, as its report period; else the first period of its golden fixture; else 2018.
    """
    from .report import report_period
    bound = catalogue.get(indicator_id)
    if year:
        return report_period(bound, str(year))
    own = _latest(p for f in bound.info.published for p in f.own_periods)
    if own:
        return own
    every = _latest(p for b in catalogue.indicators.values() for f in b.info.published for p in f.own_periods)
    if every:
        return report_period(bound, every[:4])
    if fixture is not None and isinstance(fixture.get("expect"), list):
        for case in fixture["expect"]:
            if isinstance(case, dict) and case.get("period"):
                return str(case["period"])
    return report_period(bound, "2018")


# ---------------------------------------------------------------- git

@dataclass(frozen=True)
class GitHistory:
    commits: tuple[tuple[str, str, str], ...] = ()    # (abbreviated hash, date, subject), newest first
    unavailable: str = ""                             # why there is no history ("" when there is)
    uncommitted: bool = False                         # the file differs from the last commit, or is new


def git_history(path: Path, run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> GitHistory:
    """The commits that changed a file (`git log --follow`), or why there are none to show."""
    folder, name = str(path.parent), path.name
    try:
        log = run(["git", "-C", folder, "log", "--follow", "--format=%h%x09%ad%x09%s", "--date=short", "--", name],
                  capture_output=True, text=True, timeout=30, check=False)
    except FileNotFoundError:
        return GitHistory(unavailable="git finns inte installerat, så filens historik kan inte visas.")
    except (OSError, subprocess.SubprocessError) as exc:
        return GitHistory(unavailable=f"git kunde inte köras: {exc}")
    if log.returncode != 0:
        first = (log.stderr or "").strip().splitlines()[:1]
        why = first[0] if first else f"git avslutades med status {log.returncode}"
        return GitHistory(unavailable=f"Ingen git-historik: {why}")
    commits = []
    for line in log.stdout.splitlines():
        if line.count("\t") >= 2:
            ident, date, subject = line.split("\t", 2)
            commits.append((ident, date, subject))
    try:
        status = run(["git", "-C", folder, "status", "--porcelain", "--", name], capture_output=True, text=True,
                     timeout=30, check=False)
        uncommitted = status.returncode == 0 and bool(status.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        uncommitted = False
    return GitHistory(tuple(commits), "" if commits else "Filen finns inte i någon incheckning ännu.", uncommitted)


# ---------------------------------------------------------------- reading a fixture


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The loader of engine.load's values (YAML 1.2 booleans), parsed by libyaml where it is installed."""


_FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


def read_yaml(path: Path) -> Any:
    """A YAML file's data, for showing only (None when it cannot be read).

    libyaml reads a plain file in a fraction of engine.load's time (which keeps the position
    of every value, needed to report errors, not to show a fixture); a file with aliases, or
    too large, goes through engine.load, which bounds what aliases expand to.
    """
    try:
        if not path.is_file() or path.stat().st_size > MAX_YAML_BYTES:
            return None
        text = path.read_text(encoding="utf-8")
        if not any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=_FastLoader)):
            return yaml.load(text, Loader=_FastLoader)  # a safe loader (SafeLoader's constructor)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    doc = load_file(path, Diagnostics())
    return doc.data if doc is not None else None


# ---------------------------------------------------------------- page frame

CSS = """*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:16px;line-height:1.5;
color:#1a1a1a;background:#fff}
[hidden]{display:none!important}
a{color:#0b4f8a;text-underline-offset:.22em}
a:visited{color:#5b2a86}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{
outline:3px solid #b35900;outline-offset:2px}
.skip{position:absolute;left:-10000px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:1rem;top:1rem}
.site-header{background:#0f2f52;color:#fff}
.site-header .inner{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;align-items:baseline}
.site-header .brand{font-weight:bold;color:#fff;text-decoration:none;margin-right:auto}
.site-header nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.site-header a{color:#fff}
.site-header a[aria-current=page]{text-decoration-thickness:3px}
.inner,main,.site-footer{max-width:72rem;margin:0 auto;padding:.75rem 1rem}
main{padding-top:1rem;padding-bottom:2rem}
main:focus{outline:none}
h1,h2,h3,h4,p,li,dd,dt,td,th,caption,summary,figcaption{overflow-wrap:break-word}
dd code,p code,h1 code,h2 code,h3 code,li code{overflow-wrap:anywhere}
h1{font-size:1.75rem;line-height:1.25;margin:.5rem 0}
h2{font-size:1.375rem;margin:2rem 0 .5rem;padding-top:.5rem;border-top:1px solid #d0d7de}
h3{font-size:1.125rem;margin:1.25rem 0 .5rem}
h4{font-size:1rem;margin:1rem 0 .25rem}
.en{color:#444}
.muted,small{color:#555}
small{font-size:.875rem}
code,pre,kbd{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9375rem}
pre{background:#f5f7f9;border:1px solid #d0d7de;border-radius:4px;padding:.75rem;margin:.5rem 0}
pre.wrap{white-space:pre-wrap;overflow-wrap:anywhere}
pre.sql{white-space:pre;overflow-x:auto}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.5rem 0}
caption{text-align:left;font-weight:bold;padding:.25rem 0}
th,td{border-bottom:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;vertical-align:top}
thead th{border-bottom:2px solid #8c959f}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td code,th code{overflow-wrap:normal}
table.data th,table.data td{white-space:nowrap}
table.wide td{min-width:8rem}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.75rem 0}
dl.meta dt{font-weight:bold}
dl.meta dd{margin:0;min-width:0}
ul.toc{display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;list-style:none}
ol.lines{margin:0;padding:.5rem .75rem .5rem 4.5em;background:#f5f7f9;border:1px solid #d0d7de;border-radius:4px;
font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9375rem;
width:max-content;min-width:100%}
ol.lines li{white-space:pre;min-height:1.5em;overflow-wrap:normal}
ol.lines li::marker{color:#57606a}
ol.lines li:target{background:#fff1b8}
.figure{border:1px solid #d0d7de;border-radius:4px;padding:.5rem .75rem;margin:.75rem 0}
.figure:target{border-color:#b35900;box-shadow:0 0 0 2px #b35900}
.figure h3{margin:.25rem 0}
.ok{color:#1a6b2f;font-weight:bold}
.fail{color:#a40e26;font-weight:bold}
.note{background:#fff8e1;border-left:4px solid #b35900;padding:.5rem .75rem}
details{margin:.5rem 0}
summary{cursor:pointer}
form.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(13rem,1fr));gap:.5rem 1rem;
background:#f5f7f9;border:1px solid #d0d7de;border-radius:4px;padding:.75rem;margin:1rem 0}
form.filters label{display:block;font-weight:bold;font-size:.9375rem}
form.filters input,form.filters select{width:100%;font:inherit;padding:.35rem;border:1px solid #57606a;
border-radius:3px;background:#fff;color:#1a1a1a}
table.catalogue{width:100%}
table.catalogue td code{overflow-wrap:anywhere}
table.catalogue td:nth-child(3){white-space:nowrap}
.diagram{border:1px solid #d0d7de;border-radius:4px;background:#fff}
.diagram svg{display:block;margin:0 auto}
figure{margin:.5rem 0}
figcaption{padding:.5rem .75rem}
.attrition{overflow-x:auto;max-width:100%}
.attrition th,.attrition td.num,.attrition td code{white-space:nowrap}
.attrition td:nth-child(2){min-width:16rem}
.attrition svg{max-width:none}
.site-footer{color:#555;font-size:.875rem;border-top:1px solid #d0d7de}
@media (max-width:40rem){
h1{font-size:1.5rem}
table.cards thead{position:absolute;left:-10000px}
table.cards,table.cards tbody,table.cards tr,table.cards td,table.cards caption{display:block;width:100%}
table.cards tr{border:1px solid #d0d7de;border-radius:4px;margin:.5rem 0;padding:.25rem .5rem}
table.cards td{border:0;padding:.15rem 0;min-width:0;text-align:left}
table.cards td[data-label]::before{content:attr(data-label) ": ";font-weight:bold;font-family:system-ui,-apple-system,
"Segoe UI",Roboto,Arial,sans-serif}
table.cards td ul{margin:0}
dl.meta{grid-template-columns:1fr}
dl.meta dd{margin-bottom:.35rem}
}
"""


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode() + "'"


def _policy(scripts: list[str]) -> str:
    """The page's Content-Security-Policy: its own stylesheet, its own inline scripts (by hash), nothing else."""
    script = " ".join(_hash(s) for s in scripts) if scripts else "'none'"
    return ("default-src 'none'; style-src 'self' file:; img-src 'self' file: data:; "
            f"script-src {script}; base-uri 'none'; form-action 'none'")


@dataclass
class Frame:
    """What every page shares: the site's name, its navigation and the footer line."""
    site: str
    footer: str

    def page(self, path: str, title: str, body: list[str], scripts: list[str] = (),  # type: ignore[assignment]
             current: str = "") -> bytes:
        root = "../" * path.count("/")
        nav = [("index.html", "Indikatorer"), ("model.html", "Datamodell"), ("sources.html", "Källor")]
        items = "".join(f'<li><a href="{root}{href}"{" aria-current=page" if href == current else ""}>'
                        f"{e(text)}</a></li>" for href, text in nav)
        head = ["<!DOCTYPE html>", '<html lang="sv">', "<head>", '<meta charset="utf-8">',
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                f'<meta http-equiv="Content-Security-Policy" content="{e(_policy(list(scripts)))}">',
                f'<meta name="generator" content="{GENERATOR}">',
                f"<title>{e(title)} – {e(self.site)}</title>",
                '<link rel="icon" href="data:,">',
                f'<link rel="stylesheet" href="{root}style.css">', "</head>", "<body>",
                '<a class="skip" href="#main">Hoppa till innehållet</a>',
                '<header class="site-header"><div class="inner">',
                f'<a class="brand" href="{root}index.html">{e(self.site)}</a>',
                f'<nav aria-label="Webbplatsen"><ul>{items}</ul></nav>', "</div></header>",
                '<main id="main" tabindex="-1">']
        tail = ["</main>", f'<footer class="site-footer"><p>{e(self.footer)}</p></footer>',
                *[f"<script>{s}</script>" for s in scripts], "</body>", "</html>"]
        return ("\n".join(head + body + tail) + "\n").encode("utf-8")


def _value_label(col: Column, value: str) -> str:
    """A value's label on the model page: ' – Kvinnor (Women)', the English in lang="en" where declared."""
    if value not in col.labels:
        return ""
    english = col.labels_en.get(value)
    return f" – {e(col.labels[value])}" + (f' <span class="en" lang="en">({e(english)})</span>' if english else "")


def _table(head: list[str], rows: list[list[str]], caption: str = "", numeric: Iterable[int] = (),
           cls: str = "") -> str:
    """A table in its own scrolling box; cells are HTML already (escape before)."""
    right = set(numeric)
    th = "".join(f'<th scope="col"{" class=num" if i in right else ""}>{h}</th>' for i, h in enumerate(head))
    labels = [f' data-label="{e(html.unescape(re.sub(r"<[^>]*>", "", h)))}"' if "cards" in cls.split() else ""
              for h in head]
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i in right else ""}{labels[i]}>{c}</td>'
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    cap = f"<caption>{caption}</caption>" if caption else ""
    classes = f' class="{cls}"' if cls else ""
    return (f'<div class="scroll"><table{classes}>{cap}<thead><tr>{th}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _lines(text: str, prefix: str) -> str:
    """Source text with line numbers: an ordered list, each line with an id (#<prefix>-L<n>)."""
    items = "".join(f'<li id="{prefix}-L{n}"><code>{e(line)}</code></li>'
                    for n, line in enumerate(text.splitlines(), 1))
    return f'<div class="scroll"><ol class="lines">{items}</ol></div>'


def _value(value: object) -> str:
    if value is None:
        return '<span class="muted">NULL</span>'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return e(value.isoformat())
    if isinstance(value, (dict, list)):
        return f"<code>{e(json.dumps(value, ensure_ascii=False, default=str))}</code>"
    return e(value)


# ---------------------------------------------------------------- the site

class Site:
    def __init__(self, catalogue: Catalogue, data: DataResults | None = None, year: str | None = None,
                 fixtures_dir: Path | None = None, git: bool = True,
                 run: Callable[..., subprocess.CompletedProcess] = subprocess.run):
        from .report import catalogue_version
        assert catalogue.model is not None, "the site needs a checked catalogue with a model"
        self.catalogue, self.model, self.data, self.year = catalogue, catalogue.model, data, year
        self.project = catalogue.project
        self.fixtures_dir = fixtures_dir or catalogue.directory.resolve().parent / "fixtures"
        self.git, self.run = git, run
        self.ids = sorted(catalogue.indicators)
        self.order = self._order()
        self.lineage = {i: lineage(catalogue, i) for i in self.ids}
        self.readers = readers(catalogue)
        self.fixtures = self._fixtures()
        self.model_doc = self._model_doc()
        footer = [f"Katalogversion {catalogue_version(catalogue)}", f"datamodell {self.model.name} "
                  f"version {self.model.version}", f"{len(self.ids)} indikatorer"]
        if data is not None:
            footer.append(f"underlag: {data.dataset}")
        self.frame = Frame(self.project.title.get("sv", "Indikatorer"), "; ".join(footer) + ".")
        self.periods = {i: representative_period(catalogue, i, year, self.fixtures.get(i, ("", None))[1])
                        for i in self.ids}

    # -------------------------------------------------------------- reading

    def _order(self) -> list[str]:
        """Every indicator id: by report (in the project's order, each in its declared order), then the rest by id."""
        from .report import report_indicators
        shown = [b.id for b in report_indicators(self.catalogue)]
        return shown + [i for i in self.ids if i not in shown]

    def _fixtures(self) -> dict[str, tuple[str, dict]]:
        """indicator id -> (file name, data) of each golden fixture that can be read (the first one per indicator)."""
        from .fixtures import fixture_files
        found: dict[str, tuple[str, dict]] = {}
        if not self.fixtures_dir.is_dir():
            return found
        for path in fixture_files(self.fixtures_dir):
            data = read_yaml(path)
            if isinstance(data, dict) and isinstance(data.get("indicator"), str):
                found.setdefault(data["indicator"], (path.name, data))
        return found

    def _model_doc(self) -> dict:
        path = self.catalogue.directory / MODEL_FILE
        doc = load_file(path, Diagnostics()) if path.is_file() else None
        return doc.data if doc is not None and isinstance(doc.data, dict) else {}

    def report_place(self, ident: str) -> tuple[Any, int, int] | None:
        """(report spec, position from 1, number of indicators in it) of an indicator in its report."""
        info = self.catalogue.get(ident).info
        if not info.report:
            return None
        members = [i for i in self.order if self.catalogue.get(i).info.report == info.report]
        return self.project.report(info.report), members.index(ident) + 1, len(members)

    # -------------------------------------------------------------- pages

    def build(self) -> dict[str, bytes]:
        pages: dict[str, bytes] = {"index.html": self.index()}
        for ident in self.ids:
            pages[indicator_path(ident)] = self.indicator(ident)
        pages["model.html"] = self.model_page()
        pages["sources.html"] = self.sources_page()
        pages["style.css"] = CSS.encode("utf-8")
        return pages

    def link(self, ident: str, root: str, text: str | None = None) -> str:
        title = self.catalogue.get(ident).info.title.get("sv", ident)
        return f'<a href="{root}{indicator_path(ident)}">{e(text if text is not None else title)}</a>'

    def column_link(self, entity: str, column: str, root: str, text: str | None = None) -> str:
        return f'<a href="{root}model.html#{column_anchor(entity, column)}"><code>{e(text or column)}</code></a>'

    # -------------------------------------------------------------- index

    def index(self) -> bytes:
        cat = self.catalogue
        entries = []
        rows = []
        for ident in self.order:
            info = cat.get(ident).info
            place = self.report_place(ident)
            report = place[0].title.get("sv", place[0].key) if place else ""
            entries.append({"id": ident, "report": info.report or NO_REPORT, "owner": info.owner, "unit": info.unit,
                            "text": " ".join([ident, info.title.get("sv", ""), info.title.get("en", ""),
                                              info.description.get("sv", ""), info.description.get("en", "")])})
            where = f"{e(report)} <small>(nr {place[1]} av {place[2]})</small>" if place else \
                '<span class="muted">ingen rapport</span>'
            rows.append(
                f'<tr data-id="{e(ident)}"><td data-label="Indikator">{self.link(ident, "")}'
                f'<br><small class="en" lang="en">{e(info.title.get("en", ""))}</small></td>'
                f'<td data-label="Id"><code>{e(ident)}</code></td>'
                f'<td data-label="Enhet">{e(UNIT_LABELS.get(info.unit, info.unit))}</td>'
                f'<td data-label="Ägare">{e(info.owner)}</td><td data-label="Rapport">{where}</td></tr>')
        reports = [(spec.key, spec.title.get("sv", spec.key)) for spec in self.project.reports
                   if any(cat.get(i).info.report == spec.key for i in self.ids)]
        reports += sorted({(k, k) for k in (cat.get(i).info.report for i in self.ids)
                           if k and k not in {r for r, _ in reports}})
        if any(not cat.get(i).info.report for i in self.ids):
            reports.append((NO_REPORT, "Ingen rapport"))
        owners = sorted({cat.get(i).info.owner for i in self.ids})
        units = sorted({cat.get(i).info.unit for i in self.ids}, key=lambda u: UNIT_LABELS.get(u, u))

        def select(name: str, label: str, every: str, options: list[tuple[str, str]]) -> str:
            opts = f'<option value="">{e(every)}</option>' + "".join(
                f'<option value="{e(v)}">{e(t)}</option>' for v, t in options)
            return f'<div><label for="filter-{name}">{e(label)}</label><select id="filter-{name}">{opts}</select></div>'
        project = self.project.title
        body = [f"<h1>{e(project.get('sv', 'Indikatorer'))}</h1>",
                f'<p class="en" lang="en">{e(project.get("en", ""))}</p>',
                f"<p>Katalogen har {len(self.ids)} indikatorer. Varje indikator har en egen sida med definitionen, "
                "förklaringen på svenska och engelska, SQL för varje databas, den handräknade testfixturen, "
                "publicerade siffror med källor och versionshistorik. Se även "
                '<a href="model.html">datamodellen</a> och <a href="sources.html">källorna</a>.</p>']
        body += self.data_summary()
        body += ['<form class="filters" id="filters" hidden role="search" aria-label="Sök och filtrera">',
                 '<div><label for="search">Sök</label><input type="search" id="search" autocomplete="off" '
                 'placeholder="t.ex. kartläggningar"></div>',
                 select("report", "Rapport", "Alla rapporter", reports),
                 select("owner", "Ägare", "Alla ägare", [(o, o) for o in owners]),
                 select("unit", "Enhet", "Alla enheter", [(u, UNIT_LABELS.get(u, u)) for u in units]),
                 "</form>",
                 f'<p id="status" role="status" aria-live="polite">{len(self.ids)} indikatorer.</p>',
                 '<p id="empty" hidden>Ingen indikator matchar sökningen.</p>',
                 _table(["Indikator", "Id", "Enhet", "Ägare", "Rapport"], [], cls="catalogue cards").replace(
                     "<tbody></tbody>", "<tbody>" + "".join(rows) + "</tbody>"),
                 '<script type="application/json" id="catalogue-data">' + _json(entries) + "</script>"]
        return self.frame.page("index.html", "Alla indikatorer", body, [SEARCH_JS], current="index.html")

    def data_summary(self, root: str = "") -> list[str]:
        if self.data is None:
            return []
        d = self.data
        if d.checks is None:
            return [f'<p class="note">Underlaget {e(d.dataset)} kunde inte kontrolleras: {e(d.check_error)}</p>']
        figures = d.checks.figures
        held = sum(1 for f in figures if f.holds)
        failed = sum(1 for f in figures if f.holds is False)
        hidden = len(figures) - held - failed
        breaches = d.checks.breaches
        text = (f"Kontroll mot underlaget {e(d.dataset)}: {held} av {len(figures)} publicerade siffror stämmer"
                + (f", {failed} stämmer inte" if failed else "")
                + (f", {hidden} visas inte av röjandeskäl" if hidden else ""))
        if d.checks.data is not None:
            text += f"; {len(breaches)} av {len(d.checks.data)} datakontroller bröts"
        out = [f'<p class="note">{text}.</p>']
        if breaches:
            out.append("<ul>" + "".join(f"<li>{e(b.summary())}</li>" for b in breaches) + "</ul>")
        return out

    # -------------------------------------------------------------- one indicator

    def indicator(self, ident: str) -> bytes:
        cat = self.catalogue
        bound = cat.get(ident)
        info = bound.info
        doc = cat.documents[ident]
        root = "../"
        place = self.report_place(ident)
        sections = [("beskrivning", "Beskrivning"), ("forklaring", "Förklaring"), ("harkomst", "Härkomst"),
                    ("definition", "Definition"), ("sql", "SQL"), ("fixtur", "Testfixtur"),
                    ("publicerat", "Publicerade siffror")]
        if self.data is not None:
            sections.append(("bortfall", "Bortfall"))
        sections += [("historik", "Versionshistorik"), ("rapport", "I rapporten")]
        meta = [("Id", f"<code>{e(ident)}</code>"), ("Version", e(info.version)),
                ("Enhet", e(UNIT_LABELS.get(info.unit, info.unit))), ("Ägare", e(info.owner)),
                ("Rapport", (f'{e(place[0].title.get("sv", place[0].key))} (nr {place[1]} av {place[2]})'
                             if place else "ingen")),
                ("Fil", f"<code>{e(Path(info.file).name)}</code>")]
        if info.source:
            meta.append(("Källa", f'<a href="{root}sources.html#{source_anchor(info.source)}">'
                                  f"{e(self._source_title(info.source))}</a>"))
        if bound.population_from:
            meta.append(("Population från", " → ".join(self.link(b, root, b) for b in bound.population_from)))
        body = [f"<h1>{e(info.title.get('sv', ident))}</h1>",
                f'<p class="en" lang="en">{e(info.title.get("en", ""))}</p>',
                '<dl class="meta">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta) + "</dl>",
                '<nav aria-label="På sidan"><ul class="toc">'
                + "".join(f'<li><a href="#{a}">{e(t)}</a></li>' for a, t in sections) + "</ul></nav>"]
        body += ['<h2 id="beskrivning">Beskrivning</h2>', f"<p>{e(info.description.get('sv', ''))}</p>",
                 f'<p class="en" lang="en">{e(info.description.get("en", ""))}</p>']
        body += self.explanation(ident)
        body += self.lineage_section(ident, root)
        body += ['<h2 id="definition">Definition</h2>',
                 f"<p>Filen <code>{e(Path(info.file).name)}</code> som den är skriven, med radnummer.</p>",
                 _lines(doc.text, "yaml")]
        body += self.sql_section(ident)
        body += self.fixture_section(ident, root)
        body += self.published_section(ident, root)
        if self.data is not None:
            body += _attrition_section(self.data, ident, self.periods[ident], self.catalogue.project.threshold)
        body += self.history_section(ident)
        body += self.report_section(ident, root)
        title = f"{info.title.get('sv', ident)} ({ident})"
        return self.frame.page(indicator_path(ident), title, body)

    def _source_title(self, source_id: str) -> str:
        source = self.project.sources.get(source_id)
        return source.title if source is not None else source_id

    def explanation(self, ident: str) -> list[str]:
        from .explain import explain
        out = ['<h2 id="forklaring">Förklaring</h2>',
               "<p>Definitionen steg för steg i klartext, så som <code>indicators explain</code> skriver den.</p>"]
        for lang, name in (("sv", "På svenska"), ("en", "In English")):
            text = explain(self.catalogue, ident, (lang,))
            attr = ' lang="en"' if lang == "en" else ""
            out += [f"<h3{attr}>{name}</h3>", f'<pre class="wrap"{attr}>{e(text.strip())}</pre>']
        return out

    def lineage_section(self, ident: str, root: str) -> list[str]:
        found: Lineage = self.lineage[ident]
        out = ['<h2 id="harkomst">Härkomst</h2>',
               "<p>De tabeller och kolumner i datamodellen som den kompilerade frågan läser.</p>", "<ul>"]
        for entity in found.entities:
            ent = self.model.entities[entity]
            columns = ", ".join(self.column_link(entity, c, root) for c in found.columns.get(entity, ()))
            role = " (enheten)" if entity == self.catalogue.get(ident).entity else ""
            out.append(f'<li><a href="{root}model.html#{entity_anchor(entity)}"><code>{e(entity)}</code></a>{role}'
                       f' – {e(ent.title.get("sv", entity))}: {columns or "<span class=muted>inga kolumner</span>"}'
                       "</li>")
        out.append("</ul>")
        if found.calculated:
            out.append("<p>Beräknade kolumner:</p><ul>")
            for entity, name in found.calculated:
                desc = self.model.entities[entity].calculated[name].description.get("sv", "")
                out.append(f"<li>{self.column_link(entity, name, root, f'{entity}.{name}')}"
                           + (f" – {e(desc)}" if desc else "") + "</li>")
            out.append("</ul>")
        extra = [f'<a href="{root}model.html#{anchor("classification-" + c)}">{e(c)}</a>'
                 for c in found.classifications]
        if extra:
            out.append(f"<p>Klassificering: {', '.join(extra)}</p>")
        temporal = [f'<a href="{root}model.html#{anchor("temporal-" + t)}">{e(t)}</a>' for t in found.temporal]
        if temporal:
            out.append(f"<p>Tidsrelation: {', '.join(temporal)}</p>")
        if found.population_from:
            out.append("<p>Populationen bygger på " + " → ".join(self.link(b, root) for b in found.population_from)
                       + ".</p>")
        return out

    def sql_section(self, ident: str) -> list[str]:
        from .api import compile_indicator
        label = self.periods[ident]
        period = parse_period(label)
        how = (f"rapportperioden för {e(self.year)}" if self.year else "den senaste perioden med publicerade siffror"
               if self.catalogue.get(ident).info.published else "en exempelperiod")
        out = ['<h2 id="sql">SQL</h2>',
               f"<p>Frågan för perioden <strong>{e(label)}</strong> ({e(period.first)} – {e(period.last)}, {how}) "
               "i varje dialekt, så som <code>indicators compile</code> skriver den.</p>"]
        for i, dialect in enumerate(DIALECTS):
            try:
                sql = compile_indicator(self.catalogue, ident, label, dialect)
                content = f'<pre class="sql"><code>{e(sql)};</code></pre>'
            except CompileRefused as exc:
                content = f'<p class="note">Kan inte beräknas exakt i {e(dialect)}: {e(exc)}</p>'
            out.append(f'<details id="sql-{dialect}"{" open" if i == 0 else ""}><summary>{e(dialect)}</summary>'
                       f"{content}</details>")
        return out

    def fixture_section(self, ident: str, root: str) -> list[str]:
        out = ['<h2 id="fixtur">Testfixtur</h2>']
        if ident not in self.fixtures:
            return out + ['<p class="note">Indikatorn har ingen läsbar golden fixture '
                          f"(<code>fixtures/{e(ident)}.yaml</code>).</p>"]
        name, data = self.fixtures[ident]
        out.append(f"<p>Handräknade indata och förväntade rader i <code>{e(name)}</code>; "
                   "<code>indicators test</code> kör dem.</p>")
        if data.get("description"):
            out.append(f'<p lang="en">{e(str(data["description"]).strip())}</p>')
        out.append("<h3>Indata</h3>")
        inputs: dict = data["inputs"] if isinstance(data.get("inputs"), dict) else {}
        for table in sorted(inputs, key=str):
            rows = [r for r in inputs[table] if isinstance(r, dict)] if isinstance(inputs[table], list) else []
            entity = self.model.entities.get(str(table))
            declared = list(entity.columns) if entity is not None else []
            seen = list(dict.fromkeys(str(k) for r in rows for k in r))
            columns = [c for c in declared if c in seen] + [c for c in seen if c not in declared]
            head = [self.column_link(str(table), c, root) if entity is not None and c in entity.columns else e(c)
                    for c in columns]
            caption = (f'<a href="{root}model.html#{entity_anchor(str(table))}"><code>{e(table)}</code></a>'
                       if entity is not None else f"<code>{e(table)}</code>") + f" ({len(rows)} rader)"
            body = [[_value(next((v for k, v in r.items() if str(k) == c), None)) for c in columns] for r in rows]
            out.append(_table(head, body, caption, cls="data"))
        out.append("<h3>Förväntade rader</h3>")
        cases: list = data["expect"] if isinstance(data.get("expect"), list) else []
        for case in [c for c in cases if isinstance(c, dict)]:
            rows = [r for r in case.get("rows") or [] if isinstance(r, dict)]
            fields = [f for f in ("value", "numerator", "denominator", "n") if any(f in r for r in rows)]
            body = [[e(breakdown_label(self.catalogue, r["breakdown"]) if isinstance(r.get("breakdown"), dict)
                       and r["breakdown"] else "Totalt")] + [_value(r.get(f)) for f in fields] for r in rows]
            out.append(_table(["Redovisningsgrupp", *[e(f) for f in fields]], body,
                              f"Period {e(case.get('period'))}", numeric=range(1, len(fields) + 1), cls="data"))
        return out

    def published_section(self, ident: str, root: str) -> list[str]:
        info = self.catalogue.get(ident).info
        out = ['<h2 id="publicerat">Publicerade siffror</h2>']
        if not info.published:
            return out + ["<p>Indikatorn har inga publicerade siffror.</p>"]
        verdicts = {}
        if self.data is not None and self.data.checks is not None:
            verdicts = {f.position: f for f in self.data.checks.figures if f.indicator == ident}
            out.append(f"<p>Med utfallet av kontrollen mot underlaget {e(self.data.dataset)}.</p>")
        for figure in info.published:
            out += self._figure(figure, info.unit, verdicts.get(str(figure.position)), root)
        return out

    def _figure(self, figure: PublishedFigure, unit: str, verdict, root: str) -> list[str]:
        own = figure.own_periods
        period = own[0] if len(own) == 1 else f"{own[0]}–{own[-1]}"
        rows = [("Stabilt id", f"<code>{e(figure.id)}</code>"), ("Period", e(period)),
                ("Redovisningsgrupp", e(breakdown_label(self.catalogue, figure.breakdown))),
                ("Påstående", e(_claim_text(figure, unit)))]
        if figure.text:
            rows.append(("Publicerad text", f"”{e(figure.text)}”"))
        rows.append(("Källa", f'{e(self.project.citation(figure.source, figure.at))} '
                              f'<a href="{root}sources.html#{source_anchor(figure.source)}">(källan)</a>'))
        rows.append(("I definitionen", f'<a href="#yaml-L{figure.position.line}">rad {figure.position.line}</a>'))
        if verdict is not None:
            style = "muted" if verdict.holds is None else "ok" if verdict.holds else "fail"
            word = f'<span class="{style}">{CHECK_WORDS[verdict.holds]}</span>'
            rows += [("Beräknat", e(verdict.computed)), ("Stämmer", word)]
            if verdict.reason:
                rows.append(("Skäl", e(verdict.reason)))
        elif self.data is not None and self.data.checks is not None:
            rows.append(("Stämmer", '<span class="muted">inte kontrollerad</span>'))
        return [f'<div class="figure" id="{figure_anchor(figure.id)}">',
                f"<h3>{e(period)}, {e(breakdown_label(self.catalogue, figure.breakdown))}: "
                f"{e(_claim_text(figure, unit))}</h3>",
                '<dl class="meta">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>", "</div>"]

    def history_section(self, ident: str) -> list[str]:
        info = self.catalogue.get(ident).info
        out = ['<h2 id="historik">Versionshistorik</h2>', f"<p>Nuvarande version: {e(info.version)}.</p>",
               "<h3>Ändringar enligt definitionen</h3>"]
        if info.changes:
            rows = [[e(c.version), e(c.date), e(c.what), e(c.why)] for c in sorted(info.changes,
                                                                               key=lambda c: -c.version)]
            out.append(_table(["Version", "Datum", "Vad", "Varför"], rows, numeric=[0], cls="wide cards"))
        else:
            out.append("<p>Inga ändringar är antecknade under <code>changes:</code>.</p>")
        out.append("<h3>Git</h3>")
        if not self.git:
            return out + ['<p class="muted">Git-historiken togs inte med.</p>']
        history = git_history(self._file(ident), self.run)
        if history.commits:
            out.append("<ol>" + "".join(f"<li><code>{e(h)}</code> {e(d)}: {e(s)}</li>"
                                        for h, d, s in history.commits) + "</ol>")
        if history.unavailable:
            out.append(f'<p class="muted">{e(history.unavailable)}</p>')
        if history.uncommitted:
            out.append('<p class="note">Filen har ändringar som inte är incheckade.</p>')
        return out

    def _file(self, ident: str) -> Path:
        """The indicator's file: its path as loaded (relative to the working folder), else in the catalogue folder."""
        given = Path(self.catalogue.documents[ident].file)
        if given.is_file():
            return given.resolve()
        return (self.catalogue.directory / given.name).resolve()

    def report_section(self, ident: str, root: str) -> list[str]:
        from .report import report_period
        out = ['<h2 id="rapport">I rapporten</h2>']
        place = self.report_place(ident)
        if place is None:
            return out + ["<p>Indikatorn ingår inte i någon rapport.</p>"]
        spec, position, total = place
        bound = self.catalogue.get(ident)
        part = bound.info.report_period
        kind = REPORT_PERIODS.get(part, f"månad {part}" if part.isdigit() else part)
        example = report_period(bound, self.year or "2018")
        out.append(f"<p>Visas i avsnittet <strong>{e(spec.title.get('sv', spec.key))}</strong> "
                   f"(<code>{e(spec.key)}</code>) som indikator {position} av {total}, för perioden: {e(kind)} "
                   f"(till exempel {e(example)}).</p>")
        if spec.source:
            out.append(f'<p>Avsnittets källa: {e(self.project.citation(spec.source))} '
                       f'<a href="{root}sources.html#{source_anchor(spec.source)}">(källan)</a></p>')
        members = [i for i in self.order if self.catalogue.get(i).info.report == spec.key]
        out.append("<ol>" + "".join(f"<li>{self.link(i, root)}" + (" <strong>(denna)</strong>" if i == ident else "")
                                    + "</li>" for i in members) + "</ol>")
        return out

    # -------------------------------------------------------------- the model

    def model_page(self) -> bytes:
        model = self.model
        description = self.model_doc.get("description") or {}
        body = [f"<h1>Datamodell: {e(model.name)}</h1>", f"<p>Version {e(model.version)}.</p>"]
        if isinstance(description, dict):
            body += [f"<p>{e(description.get('sv', ''))}</p>",
                     f'<p class="en" lang="en">{e(description.get("en", ""))}</p>']
        body.append('<nav aria-label="På sidan"><ul class="toc"><li><a href="#diagram">Diagram</a></li>'
                    + "".join(f'<li><a href="#{entity_anchor(n)}">{e(n)}</a></li>' for n in model.entities)
                    + '<li><a href="#tidsrelationer">Tidsrelationer</a></li>'
                      '<li><a href="#klassificeringar">Klassificeringar</a></li></ul></nav>')
        body += ['<h2 id="diagram">Diagram</h2>',
                 "<p>Entiteterna som rutor, relationerna (många till en) som pilar från tabellen med den främmande "
                 "nyckeln till tabellen den pekar på. Klicka på en ruta för att gå till entiteten.</p>",
                 f'<figure class="scroll diagram">{model_svg(model)}'
                 f'<figcaption class="muted">{e(_diagram_text(model))}</figcaption></figure>',
                 '<h2 id="entiteter">Entiteter</h2>']
        for name, entity in model.entities.items():
            body += self.entity_section(name, entity)
        body += self.temporal_section(model) + self.classification_section(model)
        if model.dates is not None:
            body += ['<h2 id="datum">Rimliga datum</h2>',
                     f"<p>Varje datumkolumn ska ligga inom {e(model.dates.text())} (om kolumnen inte har ett eget "
                     "intervall).</p>"]
        return self.frame.page("model.html", "Datamodell", body, current="model.html")

    def _readers(self, entity: str, column: str) -> str:
        ids = self.readers.get((entity, column), [])
        if not ids:
            return '<span class="muted">ingen</span>'
        links = "".join(f"<li>{self.link(i, '', i)}</li>" for i in ids)
        plural = "er" if len(ids) != 1 else ""
        return f"<details><summary>{len(ids)} indikator{plural}</summary><ul>{links}</ul></details>"

    def entity_section(self, name: str, entity: Entity) -> list[str]:
        spec = (self.model_doc.get("entities") or {}).get(name) or {}
        title = entity.title.get("sv", name)
        out = [f'<h3 id="{entity_anchor(name)}"><code>{e(name)}</code> – {e(title)}'
               + (f' <span class="en" lang="en">({e(entity.title["en"])})</span>' if entity.title.get("en") else "")
               + "</h3>", f"<p>Nyckel: <code>{e(entity.key)}</code>.</p>"]
        rows = []
        for cname, col in entity.columns.items():
            values = ""
            if col.values or col.labels:
                values = "<ul>" + "".join(f"<li><code>{e(v)}</code>{_value_label(col, v)}</li>"
                                          for v in col.values or col.labels) + "</ul>"
            limits = []
            if col.pattern:
                limits.append(f"mönster <code>{e(col.pattern)}</code>")
            if col.range is not None:
                limits.append(f"intervall {e(col.range.text())}")
            rows.append([f'<code id="{column_anchor(name, cname)}">{e(cname)}</code>'
                         + (" <small>(nyckel)</small>" if cname == entity.key else ""),
                         e(col.type), "ja" if col.nullable else "nej",
                         e(col.title.get("sv", "")) or NONE, values + ("; ".join(limits)) or NONE,
                         self._readers(name, cname)])
        out.append(_table(["Kolumn", "Typ", "Kan saknas", "Titel", "Tillåtna värden", "Läses av"], rows,
                          f"Kolumner i {e(name)}", cls="wide cards"))
        if entity.calculated:
            calc_specs = spec.get("calculated") or {}
            rows = []
            for cname, calc in entity.calculated.items():
                written = (calc_specs.get(cname) or {}).get("expr") or calc.expr.sql()
                desc = f"{e(calc.description.get('sv', ''))}" + (
                    f'<br><small class="en" lang="en">{e(calc.description["en"])}</small>'
                    if calc.description.get("en") else "")
                rows.append([f'<code id="{column_anchor(name, cname)}">{e(cname)}</code>', e(calc.type),
                             f"<code>{e(written)}</code>", desc, self._readers(name, cname)])
            out.append(_table(["Beräknad kolumn", "Typ", "Uttryck", "Beskrivning", "Läses av"], rows,
                              f"Beräknade kolumner i {e(name)}", cls="wide cards"))
        if entity.relationships:
            rows = []
            for rname, rel in sorted(entity.relationships.items(), key=lambda r: (r[1].to_many, r[0])):
                kind = "en till många (omvänd)" if rel.to_many else "många till en"
                key = f"<code>{e(rel.target if rel.to_many else rel.source)}.{e(rel.foreign_key)}</code>"
                rows.append([f"<code>{e(rname)}</code>",
                             f'<a href="#{entity_anchor(rel.target)}"><code>{e(rel.target)}</code></a>', key, kind])
            out.append(_table(["Relation", "Till", "Främmande nyckel", "Slag"], rows, f"Relationer från {e(name)}"))
        if entity.rules:
            rule_specs = spec.get("rules") or {}
            rows = []
            for rname, rule in entity.rules.items():
                written = (rule_specs.get(rname) or {}).get("check") or rule.source.text
                rows.append([f"<code>{e(rname)}</code>", f"<code>{e(written)}</code>",
                             e(rule.description.get("sv", ""))])
            out.append(_table(["Regel", "Villkor", "Beskrivning"], rows, f"Konsistensregler för {e(name)}",
                              cls="wide cards"))
        return out

    def temporal_section(self, model: Model) -> list[str]:
        out = ['<h2 id="tidsrelationer">Tidsrelationer</h2>']
        if not model.temporal:
            return out + ["<p>Modellen har inga tidsrelationer.</p>"]
        for name, t in sorted(model.temporal.items()):
            rows = [("Entitet", f'<a href="#{entity_anchor(t.entity)}"><code>{e(t.entity)}</code></a>'),
                    ("Matchas på", self.column_link(t.entity, t.match_on, "")),
                    ("Från", self.column_link(t.entity, t.start, "")), ("Till", self.column_link(t.entity, t.end, "")),
                    ("Unik per", ", ".join(self.column_link(t.entity, u, "") for u in t.unique_per) or "–")]
            out += [f'<h3 id="{anchor("temporal-" + name)}"><code>{e(name)}</code></h3>',
                    f"<p>{e(t.description.get('sv', ''))}</p>",
                    '<dl class="meta">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"]
        return out

    def classification_section(self, model: Model) -> list[str]:
        out = ['<h2 id="klassificeringar">Klassificeringar</h2>']
        if not model.classifications:
            return out + ["<p>Modellen har inga klassificeringar.</p>"]
        for name, c in sorted(model.classifications.items()):
            rows = [[f"<code>{e(b.code)}</code>", "" if b.low is None else e(format_number(b.low)),
                     "" if b.high is None else e(format_number(b.high)), e(b.label.get("sv", "")),
                     f'<span lang="en">{e(b.label.get("en", ""))}</span>'] for b in c.bands]
            out += [f'<h3 id="{anchor("classification-" + name)}"><code>{e(name)}</code> – {e(c.title.get("sv", ""))}'
                    "</h3>",
                    _table(["Kod", "Från", "Under", "Etikett", "Label"], rows,
                           "Band i ordning: från ≤ värde &lt; under", numeric=[1, 2])]
        return out

    # -------------------------------------------------------------- sources

    def sources_page(self) -> bytes:
        cat = self.catalogue
        body = ["<h1>Källor</h1>",
                "<p>Publikationerna som de publicerade siffrorna är hämtade ur, med varje siffra som hänvisar till "
                "dem.</p>"]
        sources = sorted(self.project.sources.values(), key=lambda s: s.id)
        if not sources:
            body.append("<p>Katalogen anger inga källor.</p>")
        for source in sources:
            facts = [("Id", f"<code>{e(source.id)}</code>"), ("Utgivare", e(source.publisher)),
                     ("Datum", e(source.date))]
            if source.kind:
                facts.append(("Typ", e(source.kind)))
            if source.diarienummer:
                facts.append(("Diarienummer", e(source.diarienummer)))
            if source.url:
                facts.append(("Adress", f"<code>{e(source.url)}</code>"))
            body += [f'<h2 id="{source_anchor(source.id)}">{e(source.title)}</h2>',
                     f"<p>{e(source.citation())}</p>",
                     '<dl class="meta">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"]
            reports = [r for r in self.project.reports if r.source == source.id]
            if reports:
                body.append("<p>Underlag för rapportavsnittet "
                            + ", ".join(f"<strong>{e(r.title.get('sv', r.key))}</strong>" for r in reports) + ".</p>")
            rows = []
            for ident in self.order:
                info = cat.get(ident).info
                for f in info.published:
                    if f.source != source.id:
                        continue
                    own = f.own_periods
                    rows.append([f'<a href="{indicator_path(ident)}#{figure_anchor(f.id)}"><code>{e(f.id)}</code></a>',
                                 self.link(ident, ""), e(own[0] if len(own) == 1 else f"{own[0]}–{own[-1]}"),
                                 e(breakdown_label(cat, f.breakdown)), e(_claim_text(f, info.unit)), e(f.at)])
            if rows:
                body.append(_table(["Siffra", "Indikator", "Period", "Redovisningsgrupp", "Påstående", "Plats"], rows,
                                   f"{len(rows)} siffror hänvisar till källan", cls="wide cards"))
            else:
                body.append("<p>Ingen publicerad siffra hänvisar till källan.</p>")
        return self.frame.page("sources.html", "Källor", body, current="sources.html")


def _claim_text(figure: PublishedFigure, unit: str) -> str:
    from .check import _claim
    return _claim(figure, unit)


def _json(value) -> str:
    """JSON for a <script type="application/json"> block: nothing in it can end the block or open a tag."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


SEARCH_JS = """(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("catalogue-data").textContent);
  var byId = {};
  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\\u0300-\\u036f]/g, "");
  }
  data.forEach(function (d) { d.folded = fold(d.text); byId[d.id] = d; });
  var form = document.getElementById("filters");
  var search = document.getElementById("search");
  var report = document.getElementById("filter-report");
  var owner = document.getElementById("filter-owner");
  var unit = document.getElementById("filter-unit");
  var status = document.getElementById("status");
  var empty = document.getElementById("empty");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-id]"));
  function apply() {
    var words = fold(search.value).split(/\\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var d = byId[row.getAttribute("data-id")];
      var keep = !!d && (!report.value || d.report === report.value) && (!owner.value || d.owner === owner.value)
        && (!unit.value || d.unit === unit.value)
        && words.every(function (w) { return d.folded.indexOf(w) !== -1; });
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    status.textContent = shown === rows.length ? rows.length + " indikatorer."
      : "Visar " + shown + " av " + rows.length + " indikatorer.";
    empty.hidden = shown !== 0;
  }
  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  [search, report, owner, unit].forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  apply();
}());"""


# ---------------------------------------------------------------- the diagram

BOX_H = 58
ROW_GAP = 70
COL_GAP = 28
DUMMY_W = 14
PAD = 16
NAME_SIZE = 14
TITLE_SIZE = 12


def _text_width(text: str, size: float) -> float:
    return len(text) * size * 0.6


def _levels(model: Model) -> dict[str, int]:
    """Each entity's row: 0 for entities that refer to none, else one below the lowest entity it refers to."""
    names = list(model.entities)
    targets = {n: sorted({r.target for r in model.entities[n].relationships.values()
                          if not r.to_many and r.target != n and r.target in model.entities}, key=names.index)
               for n in names}
    level: dict[str, int] = {}

    def depth(name: str, path: tuple[str, ...]) -> int:
        if name in level:
            return level[name]
        if name in path:  # a cycle: cut it here
            return 0
        result = 1 + max((depth(t, path + (name,)) for t in targets[name]), default=-1)
        level[name] = result
        return result
    for n in names:
        depth(n, ())
    return level


def _diagram_text(model: Model) -> str:
    edges = [f"{r.source} → {r.target} ({name}, {r.foreign_key})" for ent in model.entities.values()
             for name, r in ent.relationships.items() if not r.to_many]
    return "Relationer: " + "; ".join(edges) + "." if edges else "Modellen har inga relationer."


def model_svg(model: Model) -> str:
    """The entities as boxes in rows (an entity below those it refers to) and each many-to-one relationship as a
    labelled arrow, routed between the boxes. Laid out deterministically (declared order, then barycentres)."""
    names = list(model.entities)
    level = _levels(model)
    edges = [(ename, r.target, rname) for ename in names for rname, r in model.entities[ename].relationships.items()
             if not r.to_many and r.target in model.entities and r.target != ename]
    rows_count = max(level.values(), default=0) + 1
    rows: list[list[tuple[str, Any]]] = [[] for _ in range(rows_count)]  # ("box", name) | ("dummy", (edge, row))
    for n in names:
        rows[level[n]].append(("box", n))
    chains: dict[int, list[tuple[str, Any]]] = {}
    for i, (src, dst, _) in enumerate(edges):
        nodes: list[tuple[str, Any]] = [("box", src)]
        for r in range(level[src] - 1, level[dst], -1):  # a dummy in every row between them
            node = ("dummy", (i, r))
            rows[r].append(node)
            nodes.append(node)
        nodes.append(("box", dst))
        chains[i] = nodes
    width = {("box", n): max(_text_width(n, NAME_SIZE), _text_width(model.entities[n].title.get("sv", n), TITLE_SIZE),
                             _text_width(f"nyckel {model.entities[n].key}", TITLE_SIZE)) + 2 * 12 for n in names}

    def w(node) -> float:
        return width[node] if node[0] == "box" else DUMMY_W

    neighbours: dict[Any, list[Any]] = {}
    for nodes in chains.values():
        for a, b in itertools.pairwise(nodes):
            neighbours.setdefault(a, []).append(b)
            neighbours.setdefault(b, []).append(a)
    x: dict[Any, float] = {}

    def place() -> None:
        for row in rows:
            total = sum(w(n) for n in row) + COL_GAP * (len(row) - 1)
            cursor = -total / 2
            for n in row:
                x[n] = cursor + w(n) / 2
                cursor += w(n) + COL_GAP
    place()
    for sweep in range(4):  # barycentre ordering: down, up, down, up; ties keep the current order
        order = range(rows_count) if sweep % 2 == 0 else range(rows_count - 1, -1, -1)
        for r in order:
            def centre(node, r=r, sweep=sweep):
                near = [m for m in neighbours.get(node, []) if _row(m, level) == (r - 1 if sweep % 2 == 0 else r + 1)]
                return sum(x[m] for m in near) / len(near) if near else x[node]
            rows[r] = sorted(rows[r], key=lambda n: (centre(n), x[n]))
            place()
    left = min(x[n] - w(n) / 2 for row in rows for n in row)
    right = max(x[n] + w(n) / 2 for row in rows for n in row)
    shift = PAD - left
    total_w = right - left + 2 * PAD
    total_h = rows_count * BOX_H + (rows_count - 1) * ROW_GAP + 2 * PAD

    def top(r: int) -> float:
        return PAD + r * (BOX_H + ROW_GAP)

    out = [f'<svg class="model-diagram" width="{_n(total_w)}" height="{_n(total_h)}" viewBox="0 0 {_n(total_w)} '
           f'{_n(total_h)}" aria-labelledby="diagram-title" font-family="system-ui, -apple-system, \'Segoe UI\', '
           'Roboto, Arial, sans-serif">',
           f'<title id="diagram-title">Datamodellen {e(model.name)}: entiteter och relationer</title>',
           '<defs><marker id="diagram-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#3d4b5c"/></marker></defs>']
    # edge ends spread along the box edges, in the order of where the edge goes
    ends_out: dict[str, list[int]] = {}
    ends_in: dict[str, list[int]] = {}
    for i, (src, dst, _) in enumerate(edges):
        ends_out.setdefault(src, []).append(i)
        ends_in.setdefault(dst, []).append(i)

    def spread(box: str, edge: int, table: dict[str, list[int]], toward: Callable[[int], float]) -> float:
        group = sorted(table[box], key=lambda k: (toward(k), k))
        left_x = x[("box", box)] - width[("box", box)] / 2 + shift
        return left_x + width[("box", box)] * (group.index(edge) + 1) / (len(group) + 1)

    labels = []
    for i, (src, dst, rname) in enumerate(edges):
        nodes = chains[i]
        x1 = spread(src, i, ends_out, lambda k: x[chains[k][1]])
        x2 = spread(dst, i, ends_in, lambda k: x[chains[k][-2]])
        points = [(x1, top(level[src]))]
        for node in nodes[1:-1]:
            r = node[1][1]
            points += [(x[node] + shift, top(r) + BOX_H), (x[node] + shift, top(r))]
        points.append((x2, top(level[dst]) + BOX_H))
        path = "M" + " L".join(f"{_n(px)},{_n(py)}" for px, py in points)
        out.append(f'<path d="{path}" fill="none" stroke="#3d4b5c" stroke-width="1.5" marker-end="url(#diagram-arrow)">'
                   f"<title>{e(src)}.{e(rname)} → {e(dst)}</title></path>")
        (ax, ay), (bx, by) = points[0], points[1]
        t = (0.3, 0.62)[sorted(ends_out[src], key=lambda k: (x[chains[k][1]], k)).index(i) % 2]  # neighbours apart
        lx, ly = ax + (bx - ax) * t, ay + (by - ay) * t
        lw = _text_width(rname, 12) + 8
        labels.append(f'<rect x="{_n(lx - lw / 2)}" y="{_n(ly - 9)}" width="{_n(lw)}" height="16" rx="3" fill="#fff" '
                      f'stroke="#d0d7de"/><text x="{_n(lx)}" y="{_n(ly + 3)}" text-anchor="middle" font-size="12" '
                      f'fill="#1a1a1a">{e(rname)}</text>')
    for n in names:
        box = ("box", n)
        bx, by = x[box] - width[box] / 2 + shift, top(level[n])
        ent = model.entities[n]
        cx = bx + width[box] / 2
        out.append(f'<a href="#{entity_anchor(n)}"><title>{e(n)}: {e(ent.title.get("sv", n))}</title>'
                   f'<rect x="{_n(bx)}" y="{_n(by)}" width="{_n(width[box])}" height="{BOX_H}" rx="5" fill="#eef4fa" '
                   'stroke="#0f2f52" stroke-width="1.5"/>'
                   f'<text x="{_n(cx)}" y="{_n(by + 20)}" text-anchor="middle" font-size="{NAME_SIZE}" '
                   f'font-weight="bold" fill="#0b4f8a">{e(n)}</text>'
                   f'<text x="{_n(cx)}" y="{_n(by + 36)}" text-anchor="middle" font-size="{TITLE_SIZE}" '
                   f'fill="#1a1a1a">{e(ent.title.get("sv", ""))}</text>'
                   f'<text x="{_n(cx)}" y="{_n(by + 51)}" text-anchor="middle" font-size="{TITLE_SIZE}" '
                   f'fill="#444">nyckel {e(ent.key)}</text></a>')
    out += labels
    out.append("</svg>")
    return "".join(out)


def _row(node, level: dict[str, int]) -> int:
    return level[node[1]] if node[0] == "box" else node[1][1]


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


# ---------------------------------------------------------------- attrition

def small_attrition(attrition, threshold: int) -> bool:
    """Whether an attrition table rests on a small group anywhere: a count, or the units a step removes, in
    total or for one kön, above 0 and below the disclosure threshold.

    The site is published (CI puts it on Pages), so its attrition obeys the threshold as a whole: a step's
    count and what it removes are both counts of units with a property, and a partly hidden table could be
    recovered from its neighbours; a table with any small group is not shown at all.
    """
    columns = [None, *(value for value, _ in attrition.kon)]
    def count(step, column) -> int:
        return step.count if column is None else step.by_kon.get(column, 0)
    previous = None
    for step in attrition.steps:
        for column in columns:
            now = count(step, column)
            removed = count(previous, column) - now if previous is not None else 0
            if 0 < now < threshold or 0 < removed < threshold:
                return True
        previous = step
    return False


def _attrition_section(data: DataResults, ident: str, period: str, threshold: int) -> list[str]:
    """The indicator's population step by step on the dataset (engine.attrition), or why it is not shown."""
    out = ['<h2 id="bortfall">Bortfall</h2>']
    result = data.attrition.get(ident)
    if result is None:
        why = data.attrition_errors.get(ident, "inte beräknat")
        return out + [f'<p class="note">Bortfallet för {e(period)} kunde inte räknas på underlaget '
                      f"{e(data.dataset)}: {e(why)}</p>"]
    if small_attrition(result, threshold):
        return out + [f'<p class="note">Bortfallet för {e(result.period)} visas inte av röjandeskäl: något steg '
                      f"bygger på, eller tar bort, färre än {threshold} enheter (totalt eller för ett kön). "
                      f"<code>indicators attrition {e(ident)}</code> visar det internt.</p>"]
    from .attrition import attrition_html_fragment
    return out + [f"<p>Populationen steg för steg för perioden {e(result.period)} på underlaget {e(data.dataset)}, "
                  "så som <code>indicators attrition</code> räknar den.</p>", attrition_html_fragment(result)]


def build_site(catalogue: Catalogue, data: DataResults | None = None, year: str | None = None,
               fixtures_dir: Path | None = None, git: bool = True) -> dict[str, bytes]:
    """Every page of the site: {relative path: content}. Reads only the catalogue's files and git."""
    return Site(catalogue, data, year, fixtures_dir, git).build()


def stale_pages(folder: Path, pages: dict[str, bytes]) -> list[Path]:
    """Indicator pages an earlier build wrote into `folder` that this build no longer has (they carry the
    generator mark); nothing else is ever listed."""
    found: list[Path] = []
    directory = folder / "indicators"
    if not directory.is_dir():
        return found
    mark = f'<meta name="generator" content="{GENERATOR}">'.encode()
    for path in sorted(directory.glob("*.html")):
        name = f"indicators/{path.name}"
        if name in pages or not path.is_file() or path.is_symlink():
            continue
        try:
            with open(path, "rb") as handle:
                head = handle.read(4096)
        except OSError:
            continue
        if mark in head:
            found.append(path)
    return found


__all__ = ["DataResults", "anchor", "build_site", "git_history", "model_svg", "representative_period", "stale_pages"]
