"""Every documented FMA licence string lands in the right Creative Commons group."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlc.dataset_builder.build.license_groups import (HUB_LICENSE, HUB_LICENSE_IDS, LICENSE_GROUPS, exact_license,
                                                      license_group)
from nlc.errors import InputError

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


@pytest.mark.parametrize("raw, spdx, hub_id, url", [
    ("Attribution 3.0 International", "CC-BY-3.0", "cc-by-3.0", "https://creativecommons.org/licenses/by/3.0/"),
    ("Attribution 4.0 International", "CC-BY-4.0", "cc-by-4.0", "https://creativecommons.org/licenses/by/4.0/"),
    ("Attribution-NonCommercial-ShareAlike 3.0 International", "CC-BY-NC-SA-3.0", "cc-by-nc-sa-3.0",
     "https://creativecommons.org/licenses/by-nc-sa/3.0/"),
    ("Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International", "CC-BY-NC-SA-4.0", "cc-by-nc-sa-4.0",
     "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    ("Attribution-NoDerivatives 4.0 International", "CC-BY-ND-4.0", "cc-by-nd-4.0",
     "https://creativecommons.org/licenses/by-nd/4.0/"),
    ("Attribution-NoDerivatives 3.0 International", "CC-BY-ND-3.0", "other",  # the Hub lists BY-ND 4.0 only
     "https://creativecommons.org/licenses/by-nd/3.0/"),
    ("Attribution 2.5 Brazil", "CC-BY-2.5", "cc-by-2.5", "https://creativecommons.org/licenses/by/2.5/"),
    ("Attribution-ShareAlike 2.5 Netherlands", "CC-BY-SA-2.5", "other",
     "https://creativecommons.org/licenses/by-sa/2.5/"),
    ("CC BY-NC-ND 4.0", "CC-BY-NC-ND-4.0", "cc-by-nc-nd-4.0", "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
    ("Attribution-NonCommercial-NoDerivatives (aka Music Sharing) 3.0 International", "CC-BY-NC-ND-3.0",
     "cc-by-nc-nd-3.0", "https://creativecommons.org/licenses/by-nc-nd/3.0/"),
    ("Attribution-NoDerivs-NonCommercial 1.0", "CC-BY-NC-ND-1.0", "other",
     "https://creativecommons.org/licenses/by-nd-nc/1.0/"),  # CC's own 1.0 spelling of the deed
    ("CC0 1.0 Universal", "CC0-1.0", "cc0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("Creative Commons Zero", "CC0-1.0", "cc0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("Public Domain Mark 1.0", "LicenseRef-PDM-1.0", "other", "https://creativecommons.org/publicdomain/mark/1.0/"),
])
def test_exact_licence_keeps_the_version(raw, spdx, hub_id, url):
    lic = exact_license(raw)
    assert (lic.spdx, lic.hub_id, lic.url) == (spdx, hub_id, url)
    assert lic.group == license_group(raw)


def test_ports_map_to_their_version_and_keep_the_jurisdiction():
    us = exact_license("Attribution-Noncommercial-Share Alike 3.0 United States")
    assert (us.spdx, us.hub_id, us.version, us.port) == ("CC-BY-NC-SA-3.0", "cc-by-nc-sa-3.0", "3.0", "United States")
    assert us.url == "https://creativecommons.org/licenses/by-nc-sa/3.0/"
    assert us.name == "Creative Commons Attribution-NonCommercial-ShareAlike 3.0"
    scotland = exact_license("Attribution-Noncommercial-Share Alike 2.5 UK: Scotland")
    assert (scotland.spdx, scotland.hub_id, scotland.port) == ("CC-BY-NC-SA-2.5", "other", "UK: Scotland")
    for unported in ("Attribution 3.0 Unported", "Attribution 3.0 International", "CC BY 4.0"):
        assert exact_license(unported).port is None


def test_unstated_version_is_the_licence_family_not_a_guess():
    lic = exact_license("Attribution-NonCommercial-ShareAlike")
    assert (lic.spdx, lic.hub_id, lic.version) == ("LicenseRef-CC-BY-NC-SA", "cc", None)
    assert exact_license("Music Sharing").spdx == "LicenseRef-CC-BY-NC-ND"


def test_terms_and_hub_names():
    nc_sa = exact_license("Attribution-NonCommercial-ShareAlike 4.0 International")
    assert nc_sa.attribution and nc_sa.noncommercial and nc_sa.share_alike and not nc_sa.no_derivatives
    nd = exact_license("Attribution-NoDerivs 2.5 Canada")
    assert nd.no_derivatives and not nd.noncommercial and not nd.share_alike
    pdm = exact_license("Public Domain Mark 1.0")
    assert not pdm.attribution and pdm.hub_name == "pdm-1.0"
    assert exact_license("Attribution-ShareAlike 2.5 Netherlands").hub_name == "cc-by-sa-2.5"


def test_every_kept_fma_string_has_an_exact_licence():
    for raw, group in CASES:
        if group is None:
            with pytest.raises(InputError):
                exact_license(raw)
            continue
        lic = exact_license(raw)
        assert lic.group == group and lic.url.startswith("https://creativecommons.org/")
        assert lic.hub_id in HUB_LICENSE_IDS | {"other", "cc"}
        assert (lic.version is None) == (lic.hub_id == "cc")
        if lic.version is not None and group != "cc0":
            assert lic.spdx.endswith(lic.version) and lic.version in raw
    with pytest.raises(InputError):
        exact_license(None)


def test_hub_licence_ids_are_the_hubs_creative_commons_list():
    assert len(HUB_LICENSE_IDS) == 16 and set(HUB_LICENSE.values()) <= HUB_LICENSE_IDS
