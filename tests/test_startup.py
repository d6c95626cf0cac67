"""Start-up: `--help`, `list` and `validate` load neither DuckDB nor the XLSX writer (speed: bench/startup.py)."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT

HEAVY = ("duckdb", "xlsxwriter", "engine.execute", "engine.report_formats", "engine.synthetic", "engine.fixtures")

PROBE = """
import json, sys
from engine.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("duckdb", "xlsxwriter", "engine"))),
      file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["list"], ["validate"], ["list", "--help"], ["run", "--help"]])
def test_light_commands_do_not_import_duckdb_or_xlsxwriter(args):
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    assert "engine.cli" in loaded
    assert not [m for m in loaded if m in HEAVY or m.split(".")[0] in ("duckdb", "xlsxwriter")], loaded


def test_the_package_imports_its_api_on_first_use():
    code = ("import sys, engine; assert 'engine.api' not in sys.modules; engine.load_catalogue; "
            "print('engine.api' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr
