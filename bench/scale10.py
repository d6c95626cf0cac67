"""The command line at scale 10: one indicator through `indicators run`, the whole catalogue through `check`.

    .venv/bin/python bench/scale10.py [--data data/demo-s10.duckdb] [--indicator ID] [--repeat 3]

Each command is a fresh process (the console script, as a user runs it); its wall time and its peak RSS
(the child's own `ru_maxrss`, from os.wait4) are measured.

- The extract: `indicators demo-data --scale 10 --out <data>` when the file is missing (its time and peak RSS
  printed); an existing file is used as it is.
- `indicators run --data <data> --period 2018 --indicator ID --format json`, best of --repeat:
  cold (the data-check cache empty: INDICATORS_CACHE_DIR a fresh folder for each run), warm (the cache the
  first cold run filled), without data checks (`--no-data-checks`), and cold with `--memory-limit 2GB`,
  whose peak RSS is held against the limit; the four are interleaved (cold, warm, no checks, limited, then
  again), so that a busy moment of the machine slows each alike.
- `indicators check --data <data> --memory-limit 2GB`, cold cache, once: every indicator, period and
  published figure (at scale 10 the published counts do not hold: they are the national ones, so its exit
  status is 1 and is printed, not held).

The reference is `mf query` for one indicator on the scale-10 extract: 3.1-3.5 s, as measured in issue 11
(MetricFlow is not installed here; the figure is a constant, not re-run).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).with_name("indicators")
MF_QUERY_SECONDS = (3.1, 3.5)  # `mf query`, one indicator at scale 10, as measured in issue 11 (not re-run)
DEFAULT_INDICATOR = "antal_gemensamma_kartlaggningar"
MEMORY_LIMIT = "2GB"
UNITS = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


@dataclass
class Child:
    seconds: float
    peak: int      # bytes: the child's peak resident set
    status: int
    stderr: str

    def last_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""


def run_child(args: list[str], env: dict[str, str] | None = None) -> Child:
    """Run a command to its end; its wall time and its own peak RSS (wait4's rusage of that child alone)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err,
                                env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", errors="replace")
    return Child(seconds, usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024), proc.returncode, text)


def size(text: str) -> int:
    """2GB, 500MiB as bytes (DuckDB's units: GB = 1000^3, GiB = 1024^3)."""
    number = text.rstrip("KMGTBIkmgtbi ")
    return int(float(number) * UNITS[text[len(number):].strip().upper()])


def shown(path: Path) -> str:
    """A path under the repository as relative to it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB"


def ensure_extract(data: Path, scale: float = 10) -> Child | None:
    """Generate the scale-`scale` extract at `data` when missing; the generation's child, or None."""
    if data.exists():
        print(f"extract: {shown(data)} exists ({data.stat().st_size / 1e6:.0f} MB; generation not timed: remove it "
              "to time it)")
        return None
    print(f"extract: generating {shown(data)} (indicators demo-data --scale {scale:g}) ...", flush=True)
    child = run_child([str(SCRIPT), "demo-data", "--scale", f"{scale:g}", "--out", str(data)])
    if child.status != 0:
        raise SystemExit(f"demo-data --scale {scale:g} failed (exit {child.status}):\n{child.stderr}")
    print(f"extract: demo-data --scale {scale:g} took {child.seconds:.1f} s, peak RSS {gb(child.peak)} "
          f"(DuckDB's default memory limit, 80% of RAM), {data.stat().st_size / 1e6:.0f} MB written")
    return child


@dataclass
class Timing:
    best: float
    median: float
    peak: int       # the highest peak RSS of the runs
    status: int

    def line(self, label: str, repeat: int) -> str:
        return (f"  {label:<34} best {self.best:6.2f} s  median {self.median:6.2f} s  peak RSS {gb(self.peak)}"
                f"  (of {repeat}{'' if self.status == 0 else f', exit {self.status}'})")


def _timing(children: list[Child]) -> Timing:
    times = [c.seconds for c in children]
    failed = [c for c in children if c.status != 0]
    if failed:
        print(f"  exit {failed[0].status}: {failed[0].last_line()}", file=sys.stderr)
    return Timing(min(times), statistics.median(times), max(c.peak for c in children),
                  failed[0].status if failed else 0)


def bench_cli(data: Path, indicator: str, period: str, repeat: int, memory_limit: str = MEMORY_LIMIT,
              check: bool = True) -> dict[str, Timing]:
    """The runs of the module's docstring; {label: Timing}."""
    run = [str(SCRIPT), "run", "--data", str(data), "--period", period, "--indicator", indicator, "--format", "json"]
    results: dict[str, Timing] = {}
    print(f"indicators run --data {shown(data)} --period {period} --indicator {indicator} --format json, "
          f"fresh processes:")
    variants = {  # label: (extra arguments, cache: a fresh folder per run, or the one the first cold run filled)
        "cold": ([], "fresh"),
        "warm": ([], "filled"),
        "no checks": (["--no-data-checks"], "filled"),
        "cold, limited": (["--memory-limit", memory_limit], "fresh"),
    }
    labels = {"cold": "cold (data-check cache empty)", "warm": "warm (data checks from the cache)",
             "no checks": "--no-data-checks", "cold, limited": f"cold, --memory-limit {memory_limit}"}
    with tempfile.TemporaryDirectory(prefix="indicators-bench-") as tmp:
        children: dict[str, list[Child]] = {label: [] for label in variants}
        for k in range(repeat):  # the variants interleaved, so that a busy moment of the machine hits each alike
            for label, (extra, cache) in variants.items():
                folder = Path(tmp) / (f"{label}-{k}" if cache == "fresh" else "cold-0")
                children[label].append(run_child(run + extra, {"INDICATORS_CACHE_DIR": str(folder)}))
        for label in variants:
            results[label] = _timing(children[label])
            print(results[label].line(labels[label], repeat), flush=True)
        limited = results["cold, limited"].peak
        print(f"  under --memory-limit {memory_limit}: peak RSS {gb(limited)} "
              + ("stays under the limit" if limited < size(memory_limit) else "EXCEEDS the limit")
              + " (the limit bounds DuckDB's buffers; RSS is the whole process)")
        low, high = MF_QUERY_SECONDS
        print(f"  reference: mf query {low}-{high} s (as measured in issue 11, not re-run); "
              f"cold {results['cold'].best / low:.2f}x, warm {results['warm'].best / low:.2f}x of {low} s")
        if check:
            env = {"INDICATORS_CACHE_DIR": str(Path(tmp) / "check")}
            child = run_child([str(SCRIPT), "check", "--data", str(data), "--memory-limit", memory_limit], env)
            results["check"] = Timing(child.seconds, child.seconds, child.peak, child.status)
            print(f"indicators check --data {shown(data)} --memory-limit {memory_limit} (the whole catalogue, "
                  f"cold cache, once): {child.seconds:.2f} s, peak RSS {gb(child.peak)} "
                  + ("(under the limit)" if child.peak < size(memory_limit) else "(EXCEEDS the limit)")
                  + f", exit {child.status}: {child.last_line()}")
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "demo-s10.duckdb")
    ap.add_argument("--indicator", default=DEFAULT_INDICATOR)
    ap.add_argument("--period", default="2018")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory-limit", default=MEMORY_LIMIT)
    args = ap.parse_args(argv)
    ensure_extract(args.data)
    bench_cli(args.data, args.indicator, args.period, args.repeat, args.memory_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
