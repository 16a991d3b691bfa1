"""The compiled matcher (mypyc, setup.py): it runs only while compiled from the sources beside it."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import matchers

ROOT = Path(__file__).resolve().parents[2]
WHICH = "import matchers, matchers.index as m; print(matchers.compiled(), m.__file__.endswith('.py'))"


def _copy_of_matchers(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "matchers", tmp_path / "matchers")
    return tmp_path / "matchers"


def _which(folder: Path) -> str:
    # a new interpreter importing the package from `folder`: compiled or not, and where index came from
    return subprocess.run(
        [sys.executable, "-c", WHICH], cwd=folder, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_setup_records_the_digests_the_package_checks() -> None:
    spec = importlib.util.spec_from_file_location("watchlist_setup", ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    setup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(setup)  # defines the build; setup() runs only as a script
    digests = setup.source_digests(ROOT / "matchers")
    assert digests == matchers.source_digests()
    assert "index.py" in digests and "__init__.py" not in digests


def test_an_edited_source_runs_instead_of_the_module_compiled_before(tmp_path: Path) -> None:
    folder = _copy_of_matchers(tmp_path)
    compiled = any(path.suffix == ".so" for path in folder.iterdir())
    assert _which(tmp_path) == ("True False" if compiled else "False True")
    # an edit after the last compile: the sources run, every module of them, until the next compile
    source = folder / "scoring.py"
    source.write_text(source.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _which(tmp_path) == "False True"


def test_extension_modules_with_no_record_of_their_sources_are_not_trusted(tmp_path: Path) -> None:
    folder = _copy_of_matchers(tmp_path)
    (folder / "compiled.json").unlink(missing_ok=True)
    assert _which(tmp_path) == "False True"
