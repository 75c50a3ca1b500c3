"""``python -m bot import-units FILE.csv``: the optional register of real flats.

One row per flat: estate id, building id, unit (a header row ``estate,building,unit`` may come
first). Every row is checked against config.yaml before anything is written; with a register,
an owner typing a flat that is not in it is asked once whether it is right.
"""

from __future__ import annotations

import asyncio
import csv
import sys
from pathlib import Path

from bot.config import Settings

HEADER = ["estate", "building", "unit"]


def read_units(path: Path, settings: Settings) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(units, problems) of a CSV file; each problem names its line and value."""
    units: list[tuple[str, str, str]] = []
    problems: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            cells = [c.strip() for c in row]
            if not any(cells) or (line == 1 and [c.casefold() for c in cells] == HEADER):
                continue
            if len(cells) != 3 or not all(cells):
                problems.append(f"{path.name}:{line}: expected estate,building,unit, got {row}")
                continue
            estate_id, building_id, unit = cells
            estate = settings.estate(estate_id)
            if estate is None:
                known = ", ".join(e.id for e in settings.estates)
                problems.append(
                    f"{path.name}:{line}: unknown estate {estate_id!r} (known: {known})"
                )
            elif estate.building(building_id) is None:
                known = ", ".join(b.id for b in estate.buildings)
                problems.append(
                    f"{path.name}:{line}: unknown building {building_id!r} of estate"
                    f" {estate_id!r} (known: {known})"
                )
            elif len(unit) > settings.limits.unit_max:
                problems.append(
                    f"{path.name}:{line}: unit {unit!r} is longer than limits.unit_max"
                    f" ({settings.limits.unit_max})"
                )
            else:
                units.append((estate_id, building_id, unit))
    return units, problems


async def _import(settings: Settings, units: list[tuple[str, str, str]]) -> int:
    from bot.store.open import open_storage

    store = await open_storage(settings)
    try:
        return await store.import_units(units)
    finally:
        await store.close()


def import_units_main(path: Path, settings: Settings) -> int:
    """Check the file, then add its flats to the register; the exit code."""
    try:
        units, problems = read_units(path, settings)
    except OSError as exc:
        print(f"cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    if problems:
        print(f"{path}: nothing imported ({len(problems)} problems):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    from bot.cli_db import storage_failure
    from bot.store.errors import StorageError

    try:
        added = asyncio.run(_import(settings, units))
    except StorageError as exc:
        return storage_failure(exc, settings)
    print(f"{path}: {len(units)} units read, {added} new in the register")
    return 0
