"""The dataset card: every template section filled from the build, exact licences, round trip."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from nlc.dataset_builder.release.card import EXTRACTION_QUALITY, protocol_terms, render_card
from nlc.errors import InputError
from nlc.loops.layout import LOOP_COLUMNS, PAIR_COLUMNS, PROTOCOL_COLUMNS, SPLITS, hub_configs

TEMPLATE = Path(__import__("huggingface_hub").__file__).parent / "templates" / "datasetcard_template.md"

# song -> (group, FMA licence string, split); songs 1-3 test, 4-5 validation, the rest train
SONGS = {
    "000001": ("cc-by", "Attribution 3.0 United States", "test"),
    "000002": ("cc-by", "Attribution 4.0 International", "test"),
    "000003": ("cc-by-nc-sa", "Attribution-Noncommercial-Share Alike 3.0 United States", "test"),
    "000004": ("cc0", "Public Domain Mark 1.0", "validation"),
    "000005": ("cc-by-sa", "Attribution-ShareAlike 4.0 International", "validation"),
    "000006": ("cc-by", "Attribution 4.0 International", "train"),
    "000007": ("cc-by-nc-sa", "Attribution-NonCommercial-ShareAlike 4.0 International", "train"),
    "000008": ("cc0", "CC0 1.0 Universal", "train"),
    "000009": ("cc-by-nd", "Attribution-NoDerivatives 4.0 International", "train"),
    "000010": ("cc-by-sa", "Attribution-Share Alike 2.5 Netherlands", "train"),
}
GROUP_ORDER = ["cc-by", "cc-by-sa", "cc-by-nd", "cc-by-nc-sa", "cc0"]


def make_pairs() -> pd.DataFrame:
    rows = []
    for song, (group, raw, split) in SONGS.items():
        n = 1 if split == "test" else 3  # test songs keep one pair
        for k in range(n):
            a, b = f"loop{k:02d}", f"loop{k + 1:02d}"
            rows.append({"pair_id": f"{song}/{a}-{b}", "song_id": song, "source_id": f"{song}/{a}",
                         "target_id": f"{song}/{b}", "source_role": ("drum", "bass", "other")[k % 3],
                         "target_role": "other", "tempo": 90.0 + k, "license": group, "license_raw": raw,
                         "artist": f"Artist {song}", "title": f"Title {song}", "split": split})
    return pd.DataFrame(rows, columns=[*PAIR_COLUMNS, "split"])


def make_info(pairs: pd.DataFrame) -> dict:
    data_files, loop_files = {}, {}
    for group in GROUP_ORDER:
        splits = [s for s in SPLITS if ((pairs["license"] == group) & (pairs["split"] == s)).any()]
        data_files[group] = {s: [f"data/{group}/{s}-00000-of-00001.parquet"] for s in splits}
        loop_files[group] = {s: [f"loops/{group}/{s}-00000-of-00001.parquet"] for s in splits}
    counts = {"splits": {}, "groups": {}, "classification_items": 12, "ranking_items": 9, "ranking_queries": 3}
    return {
        "protocol_version": "1.0", "content_hash": "c" * 64, "dataset_fingerprint": "f" * 64, "seed": 7,
        "counts": counts, "groups": list(data_files), "protocol_groups": [g for g in data_files if g != "cc-by-nd"],
        "data_files": data_files, "loop_files": loop_files,
        "protocol_files": {"classification": "protocol/classification-00000-of-00001.parquet",
                           "ranking": "protocol/ranking-00000-of-00001.parquet"},
        "files": {}, "package_versions": {"python": "3.11", "nlc-bench": "0.1.0", "datasets": "5.2.0"},
    }


def make_report(kind: str = "fma") -> dict:
    corpus = {
        "fma": {"name": "fma", "kind": "fma"},
        "synthetic": {"name": "synth100", "kind": "synthetic", "generator": "nlc-bench corpus synth",
                      "generator_version": "0.1.0", "generator_code": "a" * 64, "seed": 0, "songs": 10,
                      "first_track_id": 1},
        "lmms": {"name": "lmms-corpus", "kind": "lmms", "lmms_version": "1.2.2", "songs": 2,
                 "projects": ["Cc-One.mmp", "Cc-Three.mmp"]},
    }[kind]
    return {"corpus": corpus, "ingest": {"tracks_in_metadata": 12, "tracks_in_genre": 11, "left_out_license": 1,
                                         "licenses_left_out": {"FMA-Limited: Download Only": 1},
                                         "skipped_input": {}, "songs_to_process": 10, "songs_by_subset": {}},
            "songs": {"processed": 10, "extracted": 10, "failed": 0}, "failed": {},
            "pairs": {"positive_pairs_found": 30, "songs_with_pairs": 10, "excluded_other_pairs_of_test_songs": 6},
            "splits": {"seed": 7, "n_test_requested": 100, "n_test": 3, "rule": "test min(100, songs // 5)"},
            "code_fingerprint": "b" * 64}


@pytest.fixture(scope="module")
def built():
    pairs = make_pairs()
    info = make_info(pairs)
    return info, pairs, render_card(info, pairs, make_report("fma"))


def template_headings() -> list[str]:
    return [line.strip() for line in TEMPLATE.read_text().splitlines() if line.startswith("#") and " " in line
            and not line.startswith("# For") and not line.startswith("# Doc")]


def test_every_template_section_is_present_and_filled(built):
    _, _, card = built
    headings = template_headings()
    assert len(headings) >= 20  # the template's sections, from "Dataset Details" to "Dataset Card Contact"
    for heading in headings:
        expected = heading.replace("{{ pretty_name | default(\"Dataset Name\", true) }}", "NLC Loops")
        assert expected in card, heading
    assert "More Information Needed" not in card
    assert not re.search(r"\{\{ *\w+ *(\||\}\})", card)  # no template variable left


def test_field_tables_list_every_column(built):
    _, _, card = built
    for column in {*PAIR_COLUMNS, *LOOP_COLUMNS, *PROTOCOL_COLUMNS}:
        assert re.search(rf"^\| `{column}` \| \S", card, re.MULTILINE), column
    assert "| `audio` | Audio (44100 Hz) |" in card and "| `permutation` | list<int32> |" in card
    assert "| `tempo` | float64 |" in card and "BPM" in card


def test_card_round_trips_through_huggingface_hub(built):
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard

    info, _, card = built
    data = DatasetCard(card).data
    assert data.configs == hub_configs(info)
    names = list(MetadataConfigs.from_dataset_card_data(data))
    assert names == [n for g in GROUP_ORDER for n in (g, f"{g}-loops")] + ["protocol", "protocol-loops"]
    # exact Hub ids: 3.0 and 4.0 kept apart, the Public Domain Mark and CC-BY-SA 2.5 are "other" (not on the Hub)
    assert data.license == ["cc-by-3.0", "cc-by-4.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "cc-by-nd-4.0",
                            "cc-by-sa-4.0", "cc0-1.0", "other"]
    assert data.license_name == "cc-by-sa-2.5-and-pdm-1.0"
    assert data.license_link.startswith("https://creativecommons.org/")
    assert data.annotations_creators == ["machine-generated"] and "fma" in data.tags


def test_configs_table_lists_exact_licences_with_counts(built):
    _, _, card = built
    row = next(line for line in card.splitlines() if line.startswith("| `cc-by` |"))
    assert "[`CC-BY-3.0`](https://creativecommons.org/licenses/by/3.0/) (1 song)" in row
    assert "[`CC-BY-4.0`](https://creativecommons.org/licenses/by/4.0/) (2 songs)" in row
    assert "train 3, test 2" in row
    loops = next(line for line in card.splitlines() if line.startswith("| `cc-by-loops` |"))
    assert "train 4, test 4" in loops  # unique loops per split
    nd = next(line for line in card.splitlines() if line.startswith("| `cc-by-nd` |"))
    assert "never published" in nd
    proto = next(line for line in card.splitlines() if line.startswith("| `protocol-loops` |"))
    assert "LicenseRef-PDM-1.0" in proto and "CC-BY-ND" not in proto and "validation 8, test 6" in proto


def test_protocol_terms_follow_the_licences_present():
    pairs = make_pairs()
    proto = pairs[pairs["split"].isin(["validation", "test"])]
    text = protocol_terms(proto)
    assert "5 songs" in text and "Attribution, always" in text
    assert "**Non-commercial**: 1 of the 5 songs is" in text and "CC-BY-NC-SA-3.0" in text
    assert "**Share-alike** for the 2 SA songs" in text and "never in the protocol" in text
    free = proto[proto["license"].isin(["cc-by", "cc0"])]
    text = protocol_terms(free)
    assert "**Commercial use** is allowed" in text and "No share-alike" in text
    assert "no loops" in protocol_terms(proto.iloc[:0])


def test_groups_restrict_the_group_configs_but_never_the_protocol(built):
    from huggingface_hub import DatasetCard

    info, pairs, _ = built
    card = render_card(info, pairs, make_report("fma"), groups=["cc0", "cc-by"])
    data = DatasetCard(card).data
    names = [c["config_name"] for c in data.configs]
    assert names == ["cc-by", "cc-by-loops", "cc0", "cc0-loops", "protocol", "protocol-loops"]
    assert "| `cc-by-nc-sa` |" not in card and "| `cc-by-nd` |" not in card
    # licences: the listed groups plus every protocol song (the SA and NC-SA test/validation songs)
    assert data.license == ["cc-by-3.0", "cc-by-4.0", "cc-by-nc-sa-3.0", "cc-by-sa-4.0", "cc0-1.0", "other"]
    assert data.license_name == "pdm-1.0" and data.license_link == "https://creativecommons.org/publicdomain/mark/1.0/"
    assert "No song under a no-derivatives licence" in card
    with pytest.raises(InputError, match="cc-by-nc"):
        render_card(info, pairs, make_report("fma"), groups=["cc-by-nc"])


def test_fma_card_names_fma_and_cites_it(built):
    _, _, card = built
    assert "Free Music Archive" in card and "defferrard2017fma" in card
    assert "not made from FMA music" not in card


@pytest.mark.parametrize("kind", ["synthetic", "lmms"])
def test_non_fma_corpus_is_not_presented_as_fma(built, kind):
    from huggingface_hub import DatasetCard

    info, pairs, _ = built
    card = render_card(info, pairs, make_report(kind))
    assert "**This build is not made from FMA music.**" in card
    assert "Free Music Archive" not in card and "defferrard2017fma" not in card
    data = DatasetCard(card).data
    assert "fma" not in data.tags and kind in data.tags
    if kind == "synthetic":
        assert "seed 0" in card and "`nlc-bench corpus synth`" in card
    else:
        assert "LMMS 1.2.2" in card and "`Cc-One.mmp`" in card


def test_quality_figures_are_quoted_with_their_source(built):
    _, _, card = built
    for figure in EXTRACTION_QUALITY:
        assert f"| {figure.corpus} | {figure.measure} | {figure.value} | {figure.source} |" in card
    values = {f.measure: f.value for f in EXTRACTION_QUALITY}
    assert values["loop recall"] == "0.88" and values["role accuracy (drum / bass / other)"].startswith("0.84")
    assert "CC BY-NC-SA 4.0" in card  # the licence of the beat network's trained models


def test_card_is_deterministic_and_legacy_reports_are_not_called_fma(built):
    info, pairs, card = built
    assert render_card(info, pairs, make_report("fma")) == card
    legacy = render_card(info, pairs, {**make_report("fma"), "corpus": "tiny-synthetic"})
    assert "Free Music Archive" not in legacy and "does not say which corpus" in legacy


def test_bad_input_is_an_input_error(built):
    info, pairs, _ = built
    with pytest.raises(InputError, match="license_raw"):
        render_card(info, pairs.drop(columns=["license_raw"]), make_report())
    with pytest.raises(InputError, match="song 000001"):
        render_card(info, pairs.assign(license_raw="GPL"), make_report())
    with pytest.raises(InputError, match="corpus kind"):
        render_card(info, pairs, {"corpus": {"name": "x", "kind": "cd-rips"}})
    with pytest.raises(InputError, match="protocol.json lacks"):
        render_card({k: v for k, v in info.items() if k != "content_hash"}, pairs, make_report())


def test_load_dataset_reads_a_config_named_by_the_card(built, tmp_path):
    """``datasets`` itself builds the configs from the card: a pair config loads by name."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import load_dataset

    info, pairs, _ = built
    group = "cc0"
    info = {**info, "data_files": {group: info["data_files"][group]}, "loop_files": info["loop_files"]}
    for split, paths in info["data_files"][group].items():
        part = pairs[(pairs["license"] == group) & (pairs["split"] == split)][list(PAIR_COLUMNS)]
        (tmp_path / paths[0]).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), tmp_path / paths[0])
    (tmp_path / "README.md").write_text(render_card(info, pairs, make_report()))
    loaded = load_dataset(str(tmp_path), group)
    assert sorted(loaded) == ["train", "validation"]
    assert loaded["train"].num_rows == 3 and loaded["validation"]["song_id"] == ["000004"] * 3
