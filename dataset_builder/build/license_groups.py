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
from dataclasses import dataclass

from nlc.errors import InputError

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
and each row's ``license_raw`` keeps the exact version and port the artist chose. The
dataset card does not use this table for its ``license:`` list: it lists the exact licence
of every song (:func:`exact_license`), because a group mixes versions whose terms differ.
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


HUB_LICENSE_IDS: frozenset[str] = frozenset({
    "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0",
    "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0",
    "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "cc0-1.0",
})
"""The Creative Commons identifiers the Hugging Face Hub knows (its licence list,
https://huggingface.co/docs/hub/repositories-licenses, checked against hub-docs'
``repositories-licenses.md``). Any other exact licence is ``other`` on the Hub, with a
``license_name``/``license_link`` pair in the card; ``cc`` (the family) stands for a CC
licence whose version FMA did not state."""

CC_VERSIONS: tuple[str, ...] = ("1.0", "2.0", "2.5", "3.0", "4.0")
"""Versions of the unported (international) Creative Commons licences. Jurisdiction ports
("3.0 United States", "2.5 UK: Scotland") carry the same terms as their version's unported
licence and are identified by it; the port stays in ``ExactLicense.port`` and ``license_raw``."""

_CLAUSE_NAMES = {"nc": "NonCommercial", "sa": "ShareAlike", "nd": "NoDerivatives"}
_UNPORTED = {"", "international", "unported", "generic", "universal"}
_VERSION = re.compile(r"(?<![\d.])(\d)\.(\d)(?![\d.])")


@dataclass(frozen=True)
class ExactLicense:
    """The exact licence of one FMA licence string: version-precise ids, name and deed.

    Attributes
    ----------
    group : str
        The dataset's licence group (one of :data:`LICENSE_GROUPS`).
    spdx : str
        SPDX identifier, e.g. ``"CC-BY-NC-SA-3.0"``, ``"CC0-1.0"``; tools with no SPDX
        identifier get a ``LicenseRef-`` one: ``"LicenseRef-PDM-1.0"`` (Public Domain Mark),
        ``"LicenseRef-CC-BY-SA"`` (version not stated), ``"LicenseRef-CC-PDDC"`` (CC's retired
        Public Domain Dedication).
    hub_id : str
        The Hugging Face Hub licence identifier when the Hub has one (:data:`HUB_LICENSE_IDS`),
        ``"cc"`` when the version is unknown, else ``"other"``.
    name : str
        Human-readable name, e.g. ``"Creative Commons Attribution-NonCommercial-ShareAlike 3.0"``.
    url : str
        The creativecommons.org deed of the licence (unported deed for a port).
    version : str or None
        ``"1.0"`` .. ``"4.0"``, None when the string names no version.
    port : str or None
        The jurisdiction of a ported licence as FMA wrote it (``"United States"``), else None.
    """

    group: str
    spdx: str
    hub_id: str
    name: str
    url: str
    version: str | None
    port: str | None

    @property
    def attribution(self) -> bool:
        """Whether the licence requires crediting the artist (every BY licence; not CC0/PDM)."""
        return self.group != "cc0"

    @property
    def noncommercial(self) -> bool:
        """Whether commercial use is excluded (NC)."""
        return "-nc" in self.group

    @property
    def share_alike(self) -> bool:
        """Whether adaptations must be shared under the same licence (SA)."""
        return self.group.endswith("-sa")

    @property
    def no_derivatives(self) -> bool:
        """Whether adaptations may not be shared (ND): a loop is an adaptation."""
        return self.group.endswith("-nd")

    @property
    def hub_name(self) -> str:
        """A ``license_name`` for the Hub when :attr:`hub_id` is ``other`` (lower-case slug)."""
        return self.spdx.lower().removeprefix("licenseref-")


def _public_domain(text: str) -> ExactLicense:
    if text.startswith("public domain mark"):
        return ExactLicense("cc0", "LicenseRef-PDM-1.0", "other", "Public Domain Mark 1.0",
                            "https://creativecommons.org/publicdomain/mark/1.0/", "1.0", None)
    if text.startswith("public domain dedication"):
        return ExactLicense("cc0", "LicenseRef-CC-PDDC", "other", "Creative Commons Public Domain Dedication",
                            "https://creativecommons.org/licenses/publicdomain/", None, None)
    return ExactLicense("cc0", "CC0-1.0", "cc0-1.0", "Creative Commons Zero 1.0 Universal",
                        "https://creativecommons.org/publicdomain/zero/1.0/", "1.0", None)


def exact_license(raw: str | None) -> ExactLicense:
    """The exact licence (version-precise SPDX and Hub ids, deed URL) of an FMA licence string.

    :func:`license_group` folds versions together because only the clause set decides what
    the dataset may do with a song; the dataset card must still name the licence each song
    is actually under, since the Hub lists licences by version and the terms of 2.0, 3.0 and
    4.0 differ in detail (e.g. 4.0 covers database rights, 3.0 does not).

    Parameters
    ----------
    raw : str or None
        The licence as FMA writes it, e.g. ``"Attribution-Noncommercial-Share Alike 3.0
        United States"``. Ports map to their version's unported licence (the port is kept
        in :attr:`ExactLicense.port`); a string without a version gives the unversioned
        family (``hub_id`` ``"cc"``): FMA did not say which version, so none is invented.

    Returns
    -------
    ExactLicense

    Raises
    ------
    InputError
        If ``raw`` is not in one of the dataset's groups (``license_group(raw)`` is None):
        such songs never reach the dataset, so asking for their licence is a caller's error.
    """
    group = license_group(raw)
    if group is None or raw is None:
        raise InputError(f"licence {raw!r}: not a Creative Commons licence kept by the dataset "
                         f"(license_group gives None), so it has no exact licence")
    text = _normalise(raw)
    if group == "cc0":
        return _public_domain(text)
    clauses = group.removeprefix("cc-by").strip("-").split("-") if group != "cc-by" else []
    short = "-".join(["BY", *(c.upper() for c in clauses)])
    title = "Creative Commons " + "-".join(["Attribution", *(_CLAUSE_NAMES[c] for c in clauses)])
    slug = short.lower()
    match = _VERSION.search(text)
    if match is None:
        return ExactLicense(group, f"LicenseRef-CC-{short}", "cc", f"{title} (version not stated)",
                            f"https://creativecommons.org/licenses/{slug}/", None, None)
    version = f"{match.group(1)}.{match.group(2)}"
    path = "by-nd-nc" if (slug == "by-nc-nd" and version == "1.0") else slug  # CC's 1.0 spelling
    known = version in CC_VERSIONS
    spdx = f"CC-{short}-{version}" if known else f"LicenseRef-CC-{short}-{version}"
    hub = f"cc-{slug}-{version}"
    return ExactLicense(group, spdx, hub if hub in HUB_LICENSE_IDS else "other", f"{title} {version}",
                        f"https://creativecommons.org/licenses/{path}/{version}/", version, _port_of(raw, version))


def _port_of(raw: str, version: str) -> str | None:
    """The jurisdiction written after the version ("3.0 United States" -> "United States"), if any."""
    after = raw.split(version, 1)[1] if version in raw else ""
    after = re.sub(r"\b(?:licen[cs]e)\b", " ", after, flags=re.IGNORECASE)
    after = " ".join(after.split()).strip(" -:,.()")
    return None if after.lower() in _UNPORTED else after
