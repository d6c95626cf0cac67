"""Start-up times of the command line and YAML load times, in one run.

    .venv/bin/python bench/startup.py [--repeat 10]

Prints, for `indicators --help`, `list` and `validate`, the best and median wall time of a fresh
process (the console script, as a user runs it) and the modules' import time; then `compile` of one
indicator loading only it and its bases (engine.selective) beside the same with every file loaded
(INDICATORS_SELECTIVE=0, as before) and without the cache of the other files' meanings
(INDICATORS_CACHE_DIR=off: each run binds every file for the catalogue hash); then the time to
load every YAML file of the catalogue with libyaml's parser and with the pure-Python one
(engine.load.LIBYAML). Timings only: tests/test_startup.py holds what is imported.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).with_name("indicators")
COMMANDS = (["--help"], ["list"], ["validate"])


def _wall(args: list[str], repeat: int, env: dict[str, str] | None = None) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([str(SCRIPT), *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False, env={**os.environ, **(env or {})})
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def _imports(args: list[str]) -> tuple[float, list[tuple[str, float]]]:
    """Total import time of engine.cli and the command (ms), and the slowest top-level packages."""
    code = ("import sys; from engine.cli import main\n"
            "try: main(sys.argv[1:], standalone_mode=False)\nexcept SystemExit: pass")
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args], cwd=ROOT, capture_output=True,
                         text=True, check=False).stderr
    packages: dict[str, float] = {}
    total = 0.0
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line or "cumulative" in line:
            continue
        self_us, _, name = line.split("|")
        ms = int(self_us.split(":")[1]) / 1000
        top = name.strip().split(".")[0]
        packages[top] = packages.get(top, 0.0) + ms
        total += ms
    return total, sorted(packages.items(), key=lambda kv: -kv[1])[:6]


def _yaml(repeat: int) -> None:
    from engine import load
    from engine.diagnostics import Diagnostics
    files = sorted((ROOT / "indicators").rglob("*.yaml")) + sorted((ROOT / "fixtures").rglob("*.yaml"))
    texts = [(str(p), p.read_text(encoding="utf-8")) for p in files]
    size = sum(len(t) for _, t in texts)
    results = {}
    for libyaml in (True, False):
        if libyaml and load._CLoader is None:
            print("  libyaml: not installed")
            continue
        load.LIBYAML = libyaml
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            for name, text in texts:
                load.load_text(text, name, Diagnostics())
            best = min(best, time.perf_counter() - start)
        results[libyaml] = best
        label = "libyaml" if libyaml else "pure   "
        print(f"  {label}: {best * 1000:7.1f} ms  ({len(texts)} files, {size // 1024} KiB)")
    if len(results) == 2:
        print(f"  libyaml is {results[False] / results[True]:.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10)
    repeat = parser.parse_args().repeat
    print(f"indicators start-up ({SCRIPT}), best / median of {repeat}:")
    for args in COMMANDS:
        best, median = _wall(args, repeat)
        total, top = _imports(args)
        heaviest = ", ".join(f"{name} {ms:.0f}" for name, ms in top)
        print(f"  {' '.join(args):10} {best:6.3f} s / {median:6.3f} s   imports {total:5.0f} ms ({heaviest})")
    one = min(p.stem for p in (ROOT / "indicators").glob("*.yaml") if p.stem not in ("model", "project"))
    print(f"compile {one} --period 2018, best / median of {repeat}:")
    _wall(["compile", one, "--period", "2018"], 1)  # fills the cache of the other files' meanings
    for label, env in (("every file loaded", {"INDICATORS_SELECTIVE": "0"}), ("selective", {}),
                       ("selective, no cache", {"INDICATORS_CACHE_DIR": "off"})):
        best, median = _wall(["compile", one, "--period", "2018"], repeat, env)
        print(f"  {label:20} {best:6.3f} s / {median:6.3f} s")
    print("YAML load (best of the runs):")
    _yaml(repeat)


if __name__ == "__main__":
    main()
