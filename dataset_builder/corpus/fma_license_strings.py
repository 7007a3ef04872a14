"""License strings as FMA writes them in ``('track', 'license')``.

FMA stores the human-readable title of each track's license, in the spelling of the
Creative Commons deed of its version and jurisdiction ("Attribution-Noncommercial-Share
Alike 3.0 United States" is a different string from "Attribution-NonCommercial-ShareAlike
3.0 International"), plus a few non-CC licenses. The generated corpora draw from these
real strings so that the dataset builder's license grouping is exercised on what it will
meet in FMA; the lmms corpus maps Debian's short license names onto the same style.
"""

from __future__ import annotations

FMA_CC_LICENSES: tuple[str, ...] = (
    "Attribution 3.0 International",
    "Attribution 3.0 United States",
    "Attribution 4.0 International",
    "Attribution-ShareAlike 3.0 International",
    "Attribution-Share Alike 3.0 United States",
    "Attribution-ShareAlike 4.0 International",
    "Attribution-NoDerivatives 3.0 International",
    "Attribution-NoDerivatives 4.0 International",
    "Attribution-NonCommercial 3.0 International",
    "Attribution-Noncommercial 3.0 United States",
    "Attribution-NonCommercial 4.0 International",
    "Attribution-NonCommercial-ShareAlike 3.0 International",
    "Attribution-Noncommercial-Share Alike 3.0 United States",
    "Attribution-NonCommercial-ShareAlike 4.0 International",
    "Attribution-NonCommercial-NoDerivatives (aka Music Sharing) 3.0 International",
    "Attribution-Noncommercial-No Derivative Works 3.0 United States",
    "Attribution-NonCommercial-NoDerivatives 4.0 International",
    "CC0 1.0 Universal",
)
"""Creative Commons license titles in FMA's spellings (several versions and jurisdictions)."""

FMA_OTHER_LICENSES: tuple[str, ...] = (
    "FMA-Limited: Download Only",
    "Free Art License",
    "Public Domain Mark 1.0",
)
"""Other license titles that occur in FMA: two the builder leaves out, and the Public Domain Mark,
which the builder folds into its ``cc0`` group (``nlc.dataset_builder.build.license_groups``)."""

NON_CC_SHARE: float = 0.08
"""Fraction of synthetic tracks given a title from ``FMA_OTHER_LICENSES`` (FMA has a few percent)."""

_DEBIAN_CC = {
    "CC-BY": "Attribution", "CC-BY-SA": "Attribution-ShareAlike",
    "CC-BY-ND": "Attribution-NoDerivatives", "CC-BY-NC": "Attribution-NonCommercial",
    "CC-BY-NC-SA": "Attribution-NonCommercial-ShareAlike",
    "CC-BY-NC-ND": "Attribution-NonCommercial-NoDerivatives",
}
_DEBIAN_OTHER = {
    "GPL-2+": "GNU General Public License v2.0 or later",
    "GPL-2": "GNU General Public License v2.0",
    "GPL-3+": "GNU General Public License v3.0 or later",
    "LGPL-2+": "GNU Lesser General Public License v2.0 or later",
    "LGPL-2.1+": "GNU Lesser General Public License v2.1 or later",
    "Artistic-2": "Artistic License 2.0",
    "BSD-2-clause": "BSD 2-Clause License",
    "BSD-3-clause": "BSD 3-Clause License",
    "CC0-1.0": "CC0 1.0 Universal",
    "CC0": "CC0 1.0 Universal",
}


def fma_license_from_debian(short_name: str) -> str:
    """FMA-style license title of a Debian ``copyright`` short license name.

    ``CC-BY-SA-3`` / ``CC-BY-SA-3.0`` -> ``"Attribution-ShareAlike 3.0 International"``,
    ``CC-BY-SA-4`` -> ``"Attribution-ShareAlike 4.0 International"``; non-CC names become
    their full name (``Artistic-2`` -> ``"Artistic License 2.0"``), or stay as given when
    unknown, so no license is ever lost or invented.
    """
    name = short_name.strip()
    if name in _DEBIAN_OTHER:
        return _DEBIAN_OTHER[name]
    head, _, version = name.rpartition("-")
    if head.upper() in _DEBIAN_CC and version.replace(".", "").isdigit():
        major = version.split(".")[0]
        return f"{_DEBIAN_CC[head.upper()]} {major}.0 International"
    return name
