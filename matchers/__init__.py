"""Pure name and birth-date matching: normalise, transliterate, parse, score, explain, index.

The modules may be compiled with mypyc (`setup.py`, `make compile`): then each `matchers/<module>.py` has an
extension module beside it, which Python imports first. Compiled modules run only while they were compiled
from the sources beside them (`compiled.json` records the sources' digests); after an edit, until the next
`make compile`, the sources run, slower but never stale.
"""

import hashlib
import importlib.util
import json
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec
from pathlib import Path
from types import ModuleType

_HERE = Path(__file__).parent
# what `setup.py` writes beside the compiled modules: the digest of each source it compiled
COMPILED_RECORD = "compiled.json"


def source_digests(folder: Path = _HERE) -> dict[str, str]:
    """The SHA-256 of each module's source in `folder` but the package's `__init__` (never compiled)."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.glob("*.py"))
        if path.name != "__init__.py"
    }


def _compiled_stale() -> bool:
    # extension modules lie here, but not the ones compiled from these sources (or no record says so)
    if not any(path.name.endswith(tuple(EXTENSION_SUFFIXES)) for path in _HERE.iterdir()):
        return False
    try:
        recorded = json.loads((_HERE / COMPILED_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return bool(recorded != source_digests())


class _Sources(MetaPathFinder):
    """Imports `matchers.<module>` from its source, passing over a stale extension module beside it."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        package, _, module = fullname.partition(".")
        source = _HERE / f"{module}.py"
        if package != __name__ or "." in module or not source.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, source)


if _compiled_stale():
    sys.meta_path.insert(0, _Sources())

from matchers.dates import PartialDate, parse_birth_date  # noqa: E402
from matchers.explain import Explanation  # noqa: E402
from matchers.index import Match, MatchIndex, PersonEntry, Thresholds  # noqa: E402
from matchers.normalize import normalize_name  # noqa: E402
from matchers.scripts import detect_script  # noqa: E402


def compiled() -> bool:
    """Tell whether the matcher runs compiled (mypyc) rather than from its Python sources."""
    return not str(sys.modules["matchers.index"].__file__).endswith(".py")


__all__ = [
    "Explanation",
    "Match",
    "MatchIndex",
    "PartialDate",
    "PersonEntry",
    "Thresholds",
    "compiled",
    "detect_script",
    "normalize_name",
    "parse_birth_date",
]
