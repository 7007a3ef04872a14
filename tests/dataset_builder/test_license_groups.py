"""Every documented FMA licence string lands in the right Creative Commons group."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlc.dataset_builder.build.license_groups import HUB_LICENSE, LICENSE_GROUPS, license_group

TABLE = Path(__file__).resolve().parents[1] / "data" / "fma_licenses.txt"


def _cases() -> list[tuple[str, str | None]]:
    cases = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip("\n"):
            continue
        group, raw = line.split("\t")
        cases.append((raw, None if group == "none" else group))
    return cases


CASES = _cases()


@pytest.mark.parametrize("raw, expected", CASES, ids=[repr(c[0]) for c in CASES])
def test_documented_fma_strings(raw, expected):
    assert license_group(raw) == expected


def test_table_covers_every_group_and_exclusions():
    groups = {g for _, g in CASES}
    assert groups == set(LICENSE_GROUPS) | {None}
    assert len(CASES) >= 60


def test_case_and_spacing_do_not_matter():
    assert license_group("  attribution-NONCOMMERCIAL-share alike 3.0 united states ") == "cc-by-nc-sa"


def test_missing_values_are_left_out():
    assert license_group(None) is None
    assert license_group(float("nan")) is None  # what pandas gives for an empty cell
    assert license_group("   ") is None


def test_hub_identifiers_cover_every_group():
    assert set(HUB_LICENSE) == set(LICENSE_GROUPS)
    assert HUB_LICENSE["cc-by-nc-sa"] == "cc-by-nc-sa-4.0" and HUB_LICENSE["cc0"] == "cc0-1.0"
