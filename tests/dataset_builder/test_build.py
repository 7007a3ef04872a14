"""The Dask build: failures recorded with reasons, resume after a kill, byte-identical results.

The end-to-end test renders a small synthetic corpus, builds it with an interruption
(``max_songs``), then simulates a kill (records deleted, junk in ``tmp/``) and checks that
the resumed build writes exactly the same bytes, and that ``datasets`` loads the result.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from nlc.dataset_builder.build import build_dataset
from nlc.dataset_builder.fma_metadata import audio_path, write_tracks_csv
from nlc.dataset_builder.song_task import check_not_truncated
from nlc.dataset_builder.workdir import WorkDir
from nlc.errors import AudioError, InputError
from nlc.provenance import file_sha256

E2E_SONGS = 10  # the fewest that give train, >= 2 validation songs (for between-song negatives) and test


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): file_sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def test_truncated_whole_song_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "000001.wav"
    sf.write(path, np.zeros(44100 * 10, np.float32), 44100)
    check_not_truncated({"audio_path": str(path), "subset": "full", "duration": 10.0})
    check_not_truncated({"audio_path": str(path), "subset": "large", "duration": 200.0})  # clips are 30 s
    with pytest.raises(AudioError, match="truncated, holds 10.0 s of the 200.0 s"):
        check_not_truncated({"audio_path": str(path), "subset": "full", "duration": 200.0})


def test_bad_songs_are_recorded_with_reasons_and_not_retried(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    rows = {t: {("track", "genres_all"): [21], ("track", "license"): "Attribution 4.0 International",
                ("track", "title"): f"t{t}", ("artist", "name"): "a", ("track", "genre_top"): "Hip-Hop"}
            for t in (1, 2)}
    write_tracks_csv(corpus / "fma_metadata" / "tracks.csv", rows)
    bad = audio_path(corpus, 1, subset="full", ext="mp3")
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"ID3 this is not audio" * 50)
    sf.write(audio_path(corpus, 2, subset="full", ext="wav"), np.zeros(44100 * 3, np.float32), 44100)
    out, work = tmp_path / "nlc-loops", tmp_path / "work"
    with pytest.raises(InputError, match="no song produced a loop pair"):
        build_dataset(corpus, out, work_dir=work, workers=1, progress=False)
    failures = WorkDir(work).failures()
    assert set(failures) == {"000001", "000002"}
    assert "000001.mp3" in failures["000001"] and "silent" in failures["000002"]
    assert not out.exists()
    # a re-run does not process them again ...
    with pytest.raises(InputError):
        build_dataset(corpus, out, work_dir=work, workers=1, progress=False)
    # ... and settings changes are refused rather than mixed
    with pytest.raises(InputError, match="other settings"):
        build_dataset(corpus, out, work_dir=work, workers=1, progress=False, genre_id=None)


@pytest.fixture(scope="module")
def synth_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nlc.dataset_builder.corpus.synth import build_synth_corpus

    root = tmp_path_factory.mktemp("synth") / "corpus"
    build_synth_corpus(root, n_songs=E2E_SONGS, seed=3, progress=False)
    return root


@pytest.mark.slow
def test_interrupted_build_resumes_to_identical_bytes(synth_corpus: Path, tmp_path: Path) -> None:
    out, work = tmp_path / "nlc-loops", tmp_path / "nlc-loops.work"
    first = build_dataset(synth_corpus, out, workers=2, seed=1, max_songs=3, progress=False)
    assert first.processed_now == 3 and first.pending > 0 and not first.complete and not out.exists()
    done_first = sorted(WorkDir(work).done_ids())
    finished = build_dataset(synth_corpus, out, workers=2, seed=1, progress=False)
    assert finished.complete and finished.processed_now == finished.done - 3
    reference = _hashes(out)

    # a kill at any moment: records of songs in flight missing, a half-written record in tmp/
    for song_id in done_first:
        shutil.rmtree(work / "songs" / song_id, ignore_errors=True)
        (work / "failed" / f"{song_id}.json").unlink(missing_ok=True)
    (work / "tmp" / "000001-half").mkdir(parents=True)
    (work / "tmp" / "000001-half" / "pairs.csv").write_text("loop_a,lo")
    shutil.rmtree(out)
    resumed = build_dataset(synth_corpus, out, workers=2, seed=1, progress=False)
    assert resumed.processed_now == len(done_first) and resumed.complete
    assert _hashes(out) == reference

    report = (out / "build_report.json").read_text()
    assert '"licenses_left_out"' in report and '"failed"' in report

    script = textwrap.dedent(f"""
        import json
        from datasets import load_dataset
        info = json.load(open("nlc-loops/protocol.json"))
        for group in info["groups"]:
            d = load_dataset("nlc-loops", group, cache_dir={str(tmp_path / 'cache')!r})
            for split in d:
                s = d[split][0]["target_audio"].get_all_samples()
                assert tuple(s.data.shape) == (1, 88200) and s.sample_rate == 44100
        p = load_dataset("nlc-loops", "protocol", cache_dir={str(tmp_path / 'cache')!r})
        print("OK", p["classification"].num_rows)
    """)
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stderr[-3000:]
