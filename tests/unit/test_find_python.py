"""./repay setup finds each runtime's interpreter, or says what to install
(scripts/find_python.sh, docs/dependencies.md)."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from settings.runtimes import dialogue_python
from tests.support.paths import ROOT

SCRIPT = ROOT / "scripts" / "find_python.sh"


def find(runtime: str, tmp_path, **env) -> subprocess.CompletedProcess:
    """find_python RUNTIME with a PATH of nothing but what the script itself runs, no pyenv
    and an empty home: only what `env` names (or puts on PATH) can be found."""
    tools = tmp_path / "tools"
    tools.mkdir(exist_ok=True)
    for tool in ("ls", "sort", "sed", "cat"):
        (tools / tool).unlink(missing_ok=True)
        (tools / tool).symlink_to(shutil.which(tool))
    path = ":".join([*env.pop("extra_path", []), str(tools)])
    command = f'source "{SCRIPT}"; find_python {runtime} || {{ python_missing_help {runtime}; exit 3; }}'
    return subprocess.run([shutil.which("bash"), "-c", command], capture_output=True, text=True,
                          env={"PATH": path, "HOME": str(tmp_path), **env})


@pytest.mark.parametrize("runtime, version, variable", [
    ("service", "3.12", "SERVICE_PYTHON"), ("dialogue", "3.10", "RASA_PYTHON")])
def test_with_no_interpreter_it_says_what_to_install(tmp_path, runtime, version, variable):
    run = find(runtime, tmp_path)
    assert run.returncode == 3 and run.stdout == ""
    assert f"Python {version} was not found" in run.stderr
    assert f"pyenv install {version}" in run.stderr and f"{variable}=" in run.stderr


def test_each_runtime_takes_its_own_python_from_path(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3.12").symlink_to(sys.executable)
    (bin_dir / "python3.10").symlink_to(dialogue_python())
    assert find("service", tmp_path, extra_path=[str(bin_dir)]).stdout.strip() == str(bin_dir / "python3.12")
    assert find("dialogue", tmp_path, extra_path=[str(bin_dir)]).stdout.strip() == str(bin_dir / "python3.10")


def test_a_named_interpreter_of_the_wrong_version_is_refused_by_name(tmp_path):
    run = find("service", tmp_path, SERVICE_PYTHON=dialogue_python())
    assert run.returncode == 3
    assert f"SERVICE_PYTHON={dialogue_python()} is not Python 3.12 or 3.13: Python 3.10" in run.stderr
    named = find("dialogue", tmp_path, RASA_PYTHON=dialogue_python())
    assert named.returncode == 0 and named.stdout.strip() == dialogue_python()
