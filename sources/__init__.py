"""Site adapters: one module and one class per site, registered by key.

Importing this package imports every module in it, which registers every built-in source
(``Source.__init_subclass__``); a new site is a new module here, nothing else to edit.
"""

from __future__ import annotations

import importlib
import pkgutil


def _import_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base" and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_import_all()
