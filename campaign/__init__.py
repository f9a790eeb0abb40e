"""The campaign tool: metadata and store (this package), posts (``posts``), publishing (``scheduler``)."""

import sys as _sys
from typing import Any as _Any

__version__ = "0.1.0"
DEFAULT_HASHTAG = "#PolicingInConflict"


class _SqliteUtilsWithoutNumpy:
    """Makes sqlite-utils load without numpy and pandas, when and if it is first imported.

    sqlite-utils imports them when they are installed (matplotlib, for the report's chart,
    brings numpy), only to store their number types, which this tool never hands it: about a
    tenth of a second at the start of every command that opens the database, and memory in the
    daemon. They are hidden only while sqlite-utils loads, so the chart imports numpy as usual;
    ``campaign --help`` still imports neither.
    """

    @classmethod
    def find_spec(cls, name: str, path: _Any = None, target: _Any = None) -> _Any:
        if name != "sqlite_utils":
            return None
        _sys.meta_path.remove(cls)  # type: ignore[arg-type]
        from importlib.util import find_spec

        spec = find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        real = spec.loader.exec_module

        def exec_module(module: _Any) -> None:
            hidden = [m for m in ("numpy", "pandas") if m not in _sys.modules]
            for m in hidden:
                _sys.modules[m] = None  # type: ignore[assignment]  # importing it fails
            try:
                real(module)
            finally:
                for m in hidden:
                    if m in _sys.modules and _sys.modules[m] is None:
                        del _sys.modules[m]

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if "sqlite_utils" not in _sys.modules:
    _sys.meta_path.insert(0, _SqliteUtilsWithoutNumpy)  # type: ignore[arg-type]
