"""The tests' name for the Bot API emulator, which lives in the product as ``bot.emulator``.

``tests.fakebot.<module>`` stays importable (an alias of ``bot.emulator.<module>``) so tests
written against the old location keep working; new code imports ``bot.emulator`` directly.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bot.emulator as _emulator
from bot.emulator import *  # noqa: F403
from bot.emulator import __all__ as __all__

for _info in pkgutil.iter_modules(_emulator.__path__):
    sys.modules[f"{__name__}.{_info.name}"] = importlib.import_module(f"bot.emulator.{_info.name}")
