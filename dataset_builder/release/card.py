"""The dataset card (``README.md``) of ``nlc-loops/``: Hub metadata plus a human summary.

The YAML header is what makes the folder loadable by config name: one config per
license group (its train/validation/test shards) and a ``protocol`` config holding the
frozen benchmark tables. The Hub has no per-config license field, so ``license:`` lists
the Hub license id of every group present and the body tabulates which group is which.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import yaml

from nlc.loops.layout import PROTOCOL_SPLITS, SPLITS

CITATION = """@inproceedings{chen2020neural,
  title     = {Neural Loop Combiner: Neural Network Models for Assessing the Compatibility of Loops},
  author    = {Chen, Bo-Yu and Smith, Jordan B. L. and Yang, Yi-Hsuan},
  booktitle = {Proceedings of the 21st International Society for Music Information Retrieval Conference (ISMIR)},
  year      = {2020}
}
@inproceedings{defferrard2017fma,
  title     = {{FMA}: A Dataset for Music Analysis},
  author    = {Defferrard, Micha{\\"e}l and Benzi, Kirell and Vandergheynst, Pierre and Bresson, Xavier},
  booktitle = {Proceedings of the 18th International Society for Music Information Retrieval Conference (ISMIR)},
  year      = {2017}
}"""


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    return "100K<n<1M"


def card_metadata(info: Mapping[str, Any]) -> dict[str, Any]:
    """The YAML header of the card as a dict (configs, licenses, task tags)."""
    from nlc.dataset_builder.build.license_groups import HUB_LICENSE, LICENSE_GROUPS

    groups = [g for g in LICENSE_GROUPS if g in info["data_files"]]
    configs: list[dict[str, Any]] = []
    for group in groups:
        files = info["data_files"][group]
        configs.append({
            "config_name": group,
            "data_files": [{"split": s, "path": f"data/{group}/{s}-*.parquet"} for s in SPLITS if s in files],
        })
    if configs:
        configs[0]["default"] = True
    configs.append({
        "config_name": "protocol",
        "data_files": [{"split": s, "path": f"protocol/{s}-*.parquet"} for s in PROTOCOL_SPLITS],
    })
    total_pairs = info["counts"]["splits"]["total"]["pairs"]
    return {
        "pretty_name": "NLC Loops",
        "license": [HUB_LICENSE[g] for g in groups],
        "task_categories": ["audio-classification"],
        "tags": ["music", "loops", "loop-compatibility", "hip-hop", "fma"],
        "size_categories": [_size_category(total_pairs)],
        "configs": configs,
    }


def _table(rows: list[list[Any]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def render_card(info: Mapping[str, Any], pairs: pd.DataFrame) -> str:
    """The full ``README.md`` text for the dataset described by ``info`` (protocol.json)."""
    from nlc.dataset_builder.build.license_groups import HUB_LICENSE, LICENSE_GROUPS

    header = yaml.safe_dump(card_metadata(info), sort_keys=False, allow_unicode=True)
    counts = info["counts"]
    table1 = _table(
        [[s, c["loops"], c["pairs"], c["songs"]] for s, c in counts["splits"].items()],
        ["split", "# loops", "# loop pairs", "# songs"])
    group_rows = []
    for group in (g for g in LICENSE_GROUPS if g in counts["groups"]):
        c = counts["groups"][group]
        raw = sorted(pairs.loc[pairs["license"] == group, "license_raw"].dropna().astype(str).unique())
        group_rows.append([f"`{group}`", f"`{HUB_LICENSE[group]}`", c["train"]["pairs"], c["validation"]["pairs"],
                           c["test"]["pairs"], c["total"]["loops"], c["total"]["songs"], "; ".join(raw)])
    groups = _table(group_rows, ["config", "Hub license", "train pairs", "validation pairs", "test pairs",
                                 "loops", "songs", "original FMA license strings"])
    first = next(iter(counts["groups"]), "cc-by")
    return f"""---
{header}---

# NLC Loops

Pairs of compatible music loops extracted from Hip-Hop songs, after *Neural Loop Combiner*
(Chen, Smith & Yang, ISMIR 2020). Each row is one **positive pair**: two loops that play
together in the same song (`source_audio`, `target_audio`: 2-s, 44.1 kHz mono, 16-bit PCM
WAV, one 4/4 bar time-stretched to 2 s), with their ids, song id, tempo (BPM), instrumentation
roles (`drum`, `bass`, `other`), the license group, the original license string, artist and title.
Splits are song-disjoint: the test split holds one pair from each of up to 100 songs and the
rest is split 4:1 into train and validation by song.

## Configs and licenses

Songs keep their own Creative Commons license, so the dataset comes as one config per
license group; use only the groups whose terms fit your use.

{groups}

```python
from datasets import load_dataset
pairs = load_dataset("nlc-loops", "{first}")        # or "ORG/nlc-loops" on the Hub
protocol = load_dataset("nlc-loops", "protocol")  # frozen benchmark: classification, ranking
```

For training and scoring, `nlc.loops.reader.open_dataset("nlc-loops")` reads the
same files faster (audio decoded straight from Parquet) and checks the protocol hash.

## Statistics (Table 1 of the paper)

{table1}

## Frozen benchmark protocol

`protocol` (version `{info['protocol_version']}`, content hash `{info['content_hash']}`) holds the
evaluation items as data: `classification` pairs every validation positive with as many
negatives made by five methods in equal shares (random, selected, reverse, shift,
rearrange), each stored with what recreates it (`candidate_id`, `shift_beats`,
`permutation`); `ranking` gives each test source its true target and the other test targets
as candidates. An item is the pair `(audio[query_id], transform(method)(audio[candidate_id]))`.
`protocol.json` records the content hash, the dataset fingerprint (SHA-256 over the data
shards), the seed ({info['seed']}) and the package versions of the build; `build_report.json`
lists songs that failed (with reasons) and licenses left out.

## Attribution

The audio comes from the Free Music Archive. Every row names its `artist`, `title` and
original license (`license_raw`); credit them as that license requires when you use or
redistribute the loops. The loops are excerpts of the songs, separated and time-stretched,
i.e. adaptations: check that your use respects the `-nd` (no derivatives) and `-nc`
(non-commercial) terms of those groups.

## Citation

```bibtex
{CITATION}
```
"""
