"""What a newcomer meets first: `make test` and `make run` on a machine without Chromium install it where they can
and otherwise stop at once with one line; the suite without ../shared; the command line's own choices."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metrics import linkage
from metrics.ingest import layouts
from tests import conftest
from tests.conftest import without_chromium

ROOT = Path(__file__).resolve().parent.parent
INSTALL_LINE = ("Chromium is missing: install it with 'sudo apt-get install -y chromium fonts-liberation' "
                "(chart images in the board pack and the browser tests need it)")


def project_copy(tmp_path: Path) -> Path:
    """The Makefile and its scripts in a folder of their own, so `make test` there can never start this suite."""
    copy = tmp_path / "project"
    copy.mkdir()
    shutil.copy(ROOT / "Makefile", copy)
    shutil.copy(ROOT / "requirements.txt", copy)
    shutil.copytree(ROOT / "scripts", copy / "scripts")
    return copy


def fake_bin(tmp_path: Path, **scripts: str) -> Path:
    """A folder of stand-in commands (name=shell body) to put first on PATH."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, body in scripts.items():
        path = folder / name.replace("_", "-")
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return folder


def make(copy: Path, target: str, path: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, float]:
    # PYTHON=false: were the browser check to let make go on, the venv step would fail at once, not install.
    started = time.perf_counter()
    result = subprocess.run([*without_chromium(), shutil.which("make"), "--no-print-directory", target,
                             "PYTHON=false"], cwd=copy, capture_output=True, text=True, timeout=120,
                            env={"PATH": path, "HOME": str(copy), **(env or {})})
    return result, time.perf_counter() - started


@pytest.mark.parametrize("target", ["test", "run"])
def test_a_machine_that_cannot_install_chromium_stops_at_once_with_one_line(tmp_path, target):
    copy = project_copy(tmp_path)
    not_root = fake_bin(tmp_path, id="echo 1000")               # a user who cannot run apt-get
    result, seconds = make(copy, target, f"{not_root}:/usr/bin:/bin")
    assert result.returncode == 2 and seconds < 10
    output = (result.stdout + result.stderr).splitlines()
    assert len(output) == 1 and output[0].endswith(f"*** {INSTALL_LINE}.  Stop.")
    assert not (copy / ".venv").exists()                        # nothing was set up, no test ran


def test_root_without_apt_get_stops_the_same_way(tmp_path):
    copy = project_copy(tmp_path)
    only = fake_bin(tmp_path, id="echo 0")
    result, seconds = make(copy, "test", str(only))              # root, but no apt-get anywhere on PATH
    assert result.returncode == 2 and seconds < 10
    assert (result.stdout + result.stderr).strip().endswith(f"*** {INSTALL_LINE}.  Stop.")


def test_a_browser_path_that_names_nothing_stops_make_too(tmp_path):
    copy = project_copy(tmp_path)
    result, _ = make(copy, "test", "/usr/bin:/bin", env={"BROWSER_PATH": str(tmp_path / "nowhere")})
    assert result.returncode == 2
    assert (result.stdout + result.stderr).strip().endswith(
        f"*** No browser at BROWSER_PATH={tmp_path / 'nowhere'}: point it at a Chrome or Chromium, or unset it "
        "(chart images in the board pack and the browser tests need it).  Stop.")


def test_root_with_apt_get_installs_chromium_then_goes_on(tmp_path):
    """apt-get here is a stand-in that records what it was asked and 'installs' a chromium onto PATH."""
    copy = project_copy(tmp_path)
    log = tmp_path / "apt.log"
    bin_dir = tmp_path / "bin"
    fake = fake_bin(tmp_path, id="echo 0", apt_get=(
        f'echo "$DEBIAN_FRONTEND apt-get $*" >> {log}\n'
        f'case "$*" in *install*) printf "#!/bin/sh\\n" > {bin_dir}/chromium; chmod +x {bin_dir}/chromium;; esac'))
    result, _ = make(copy, "test", f"{fake}:/usr/bin:/bin")
    assert log.read_text().splitlines() == [
        "noninteractive apt-get update -qq",
        "noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation"]
    # Chromium found after the install, make went on to the set-up, which PYTHON=false stops.
    assert "Chromium is missing; installing Debian's chromium" in result.stderr
    assert "Stop." not in result.stderr                         # the browser step did not stop make
    assert result.stderr.strip().endswith("[Makefile:16: .venv/.installed] Error 1")   # the set-up step did
    assert "false -m venv .venv" in result.stdout and result.returncode == 2


def test_ci_only_calls_the_readme_test_command():
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[-1] == "CI=true make test"
    assert not any("apt-get" in line for line in lines)
    makefile = (ROOT / "Makefile").read_text()
    assert "run: browser db" in makefile and "test: browser db" in makefile


# ---- the suite without ../shared -------------------------------------------------------------------------

def test_a_missing_real_export_skips_outside_ci_and_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "REAL_EXPORTS", tmp_path / "no-shared")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        conftest.real_export("glint_sample.csv")
    assert "../shared/fixtures/real_exports" in str(skipped.value)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as failed:
        conftest.real_export("glint_sample.csv")
    assert "CI=true: it must be there" in str(failed.value)


def test_a_checkout_without_shared_skips_its_real_export_tests_with_the_reason(tmp_path):
    """The suite's own files, copied where no ../shared is beside them, run with one clear skip reason."""
    copy = tmp_path / "alone" / "main"
    shutil.copytree(ROOT / "tests", copy / "tests", ignore=shutil.ignore_patterns("__pycache__", "browser"))
    for name in ("metrics", "pages", "ui", "sample_data", ".streamlit"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pytest.ini", "dashboard.py"):
        shutil.copy(ROOT / name, copy)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    # The eight tests that read ../shared (the -k also takes one "not really a zip" refusal, which passes).
    selection = ["tests/test_layouts.py", "tests/test_imports.py", "tests/test_data_page.py", "-k",
                 "real_ or real: or header_only"]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *selection],
                            cwd=copy, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "FileNotFoundError" not in result.stdout and "8 skipped" in result.stdout
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert sum(int(line.split("[")[1].split("]")[0]) for line in skips) == 8
    assert all("these tests read ../shared/fixtures/real_exports beside the checkout" in line for line in skips)
    in_ci = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *selection], cwd=copy,
                           capture_output=True, text=True, timeout=300, env={**env, "CI": "true"})
    assert in_ci.returncode == 1 and "8 failed" in in_ci.stdout, in_ci.stdout[-2000:]


# ---- small things -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("p, text", [(0.0, "<0.0001"), (0.00009999, "<0.0001"), (0.0001, "0.0001"),
                                     (0.04321, "0.0432"), (1.0, "1.0000"), (None, "–"), (float("nan"), "–")])
def test_p_values_never_print_as_zero(p, text):
    assert linkage.p_text(p) == text


def test_the_lag_table_shows_tiny_p_values_as_below_the_floor():
    frame = linkage.lag_frame([{"lag": 0, "n": 134, "pearson_r": 0.6, "ci_low": 0.49, "ci_high": 0.70,
                                "p_value": 1.2e-14, "spearman_rho": 0.6, "within_unit_r": 0.49}])
    assert frame.loc[0, "p_value"] == "<0.0001"


def test_the_import_command_offers_every_layout_the_reader_knows():
    result = subprocess.run([sys.executable, "-m", "metrics", "import", "survey", "x.csv", "--format", "nonsense"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    listed = result.stderr.split("choose from ")[1].strip().rstrip(")")
    assert [name.strip(" '") for name in listed.split(",")] == ["auto", *layouts.LAYOUTS]
    assert "qualtrics_legacy" in layouts.LAYOUTS
    accepted = subprocess.run([sys.executable, "-m", "metrics", "import", "survey", "missing.csv", "--format",
                               "qualtrics_legacy"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert accepted.returncode == 2 and accepted.stderr.strip() == "missing.csv: no such file."
