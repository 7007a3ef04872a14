"""FMA licence strings folded into seven Creative Commons groups.

FMA stores each track's licence as free text (``track/license`` in ``tracks.csv``) with
more than a hundred distinct spellings of the same few licences: versions (1.0 to 4.0),
jurisdiction ports ("3.0 Germany", "2.5 UK: Scotland"), old and new clause names
("Noncommercial"/"NonCommercial", "Share Alike"/"ShareAlike", "No Derivative
Works"/"NoDerivs"/"NoDerivatives"), FMA's nickname "(aka Music Sharing)" for BY-NC-ND, and an
optional "Creative Commons" prefix. What decides redistribution is only the *clause set*
(BY + any of NC, SA, ND) or a public-domain dedication/mark, so :func:`license_group`
parses the clauses and looks them up in :data:`_GROUP_OF_CLAUSES`, the one table of this
module. Versions and jurisdictions are folded in; the exact FMA string is kept next to the
group in the dataset (``license_raw``) so nothing is lost.

Anything that is not a Creative Commons BY-family licence or a CC0/Public Domain Mark
is left out (``None``): "FMA-Limited: Download Only", GPL, Free Art License, Sampling+,
the attribution-less "Noncommercial 1.0", bare "Public Domain" statements without a CC
instrument, "Sound Recording Common Law Protection" and empty strings. The builder counts
these in its report.
"""

from __future__ import annotations

import re

LICENSE_GROUPS: tuple[str, ...] = ("cc-by", "cc-by-sa", "cc-by-nd", "cc-by-nc", "cc-by-nc-sa", "cc-by-nc-nd", "cc0")
"""The seven groups, one dataset config each."""

HUB_LICENSE: dict[str, str] = {
    "cc-by": "cc-by-4.0",
    "cc-by-sa": "cc-by-sa-4.0",
    "cc-by-nd": "cc-by-nd-4.0",
    "cc-by-nc": "cc-by-nc-4.0",
    "cc-by-nc-sa": "cc-by-nc-sa-4.0",
    "cc-by-nc-nd": "cc-by-nc-nd-4.0",
    "cc0": "cc0-1.0",
}
"""Hugging Face Hub licence identifier of each group, for the dataset card.

The Hub takes one identifier per licence family; the current version stands for the group
(a track under "Attribution 3.0 United States" is in ``cc-by``, listed as ``cc-by-4.0``),
and each row's ``license_raw`` keeps the exact version and port the artist chose.
"""

# The one table: clause set -> group. A BY licence can carry NC and one of SA / ND
# (SA and ND together make no Creative Commons licence).
_GROUP_OF_CLAUSES: dict[frozenset[str], str] = {
    frozenset(): "cc-by",
    frozenset({"sa"}): "cc-by-sa",
    frozenset({"nd"}): "cc-by-nd",
    frozenset({"nc"}): "cc-by-nc",
    frozenset({"nc", "sa"}): "cc-by-nc-sa",
    frozenset({"nc", "nd"}): "cc-by-nc-nd",
}

_CLAUSE_PATTERNS: dict[str, re.Pattern[str]] = {
    "nc": re.compile(r"\bnon[\s-]?commercial\b|\bnc\b"),
    "sa": re.compile(r"\bshare[\s-]?alike\b|\bsa\b"),
    "nd": re.compile(r"\bno[\s-]?deriv(?:s|atives|ative works?)?\b|\bnd\b|\bmusic sharing\b"),
}
_PUBLIC_DOMAIN = re.compile(r"^(?:cc0|cc zero|zero|public domain (?:mark|dedication))\b")
_BY_FAMILY = re.compile(r"^(?:attribution|by)\b")
# Other CC-branded or look-alike licences that are none of the seven groups.
_NOT_A_GROUP = re.compile(r"sampling|developing nations|common law|gpl|general public|free art|all rights")


def _normalise(raw: str) -> str:
    text = raw.strip().lower().replace("–", "-").replace("—", "-")
    text = re.sub(r"\bcreative\s+commons\b|^cc\s+(?=by\b|zero\b)|\blicen[cs]e\b", " ", text)
    text = re.sub(r"\(aka music sharing\)", " music sharing ", text)
    return re.sub(r"\s+", " ", text).strip(" -:,.")


def license_group(raw: str | None) -> str | None:
    """Creative Commons group of an FMA licence string.

    Parameters
    ----------
    raw : str or None
        The licence as FMA writes it, e.g. ``"Attribution-Noncommercial-Share Alike 3.0
        United States"``. Case, versions, jurisdictions and the "Creative Commons"/"CC"
        prefix do not matter.

    Returns
    -------
    str or None
        One of :data:`LICENSE_GROUPS`, or ``None`` for anything that is not a Creative
        Commons BY-family licence or a CC0 / Public Domain Mark (missing values included):
        such tracks are left out of the dataset and counted.
    """
    if raw is None or not isinstance(raw, str):
        return None  # NaN from pandas, or nothing at all
    text = _normalise(raw)
    if not text or _NOT_A_GROUP.search(text):
        return None
    if _PUBLIC_DOMAIN.match(text):
        return "cc0"
    if text == "music sharing":  # FMA's nickname for BY-NC-ND, sometimes used alone
        return "cc-by-nc-nd"
    if not _BY_FAMILY.match(text):
        return None
    clauses = frozenset(name for name, pattern in _CLAUSE_PATTERNS.items() if pattern.search(text))
    return _GROUP_OF_CLAUSES.get(clauses)
