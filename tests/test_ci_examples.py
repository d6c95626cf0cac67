"""The shipped CI configurations (docs/ci/) run the catalogue's four steps and publish what CI systems show."""
from __future__ import annotations

import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / "docs" / "ci" / "github-actions.yml"
GITLAB = ROOT / "docs" / "ci" / "gitlab-ci.yml"
WORKFLOW = ROOT / ".github" / "workflows" / "indicators.yml"


def commands(scripts: list[str]) -> list[list[str]]:
    """Every `indicators ...` command of some shell lines, as argument lists."""
    found = []
    for script in scripts:
        for line in script.splitlines():
            for part in line.replace("||", ";").replace("&&", ";").split(";"):
                words = shlex.split(part, comments=True)
                if words and words[0] == "indicators":
                    found.append(words[1:])
    return found


def check_commands(found: list[list[str]]) -> None:
    names = [c[0] for c in found]
    for name in ("validate", "test", "check", "docs"):
        assert name in names, f"no 'indicators {name}' step"
    assert names.index("validate") < names.index("test") < names.index("check")
    check = next(c for c in found if c[0] == "check")
    assert "--junit" in check and "--json" in check and "--data" in check
    docs = next(c for c in found if c[0] == "docs")
    assert "--out" in docs


def test_the_workflow_in_the_repository_is_the_documented_one():
    assert WORKFLOW.read_bytes() == GITHUB.read_bytes()


def test_github_actions_runs_the_four_commands_and_publishes_junit_and_the_site():
    workflow = yaml.safe_load(GITHUB.read_text("utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers and "push" in triggers
    steps = workflow["jobs"]["indicators"]["steps"]
    check_commands(commands([s["run"] for s in steps if "run" in s]))
    uses = {s["uses"].split("@")[0]: s for s in steps if "uses" in s}
    junit = uses["mikepenz/action-junit-report"]
    assert junit["uses"].split("@")[1].startswith("v") and junit["with"]["report_paths"] == "out/check-junit.xml"
    assert junit["if"] == "${{ !cancelled() }}"  # published when the check fails too
    uploads = [s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert "site/" in uploads and "out/" in uploads
    assert all("@" in s["uses"] for s in steps if "uses" in s)  # every action pinned


def test_gitlab_ci_runs_the_four_commands_and_reports_junit():
    config = yaml.safe_load(GITLAB.read_text("utf-8"))
    job = config["indicators"]
    check_commands(commands(job["script"]))
    assert job["artifacts"]["reports"]["junit"] == "out/check-junit.xml"
    assert job["artifacts"]["when"] == "always" and "site/" in job["artifacts"]["paths"]
    assert job["script"][-1] == 'exit "$status"'  # the site is written, then the job fails as the check did
    assert config["pages"]["artifacts"]["paths"] == ["public"]
