"""The Dask build: failures recorded with reasons, resume after a kill, byte-identical results.

The end-to-end test renders a small synthetic corpus (``corpus synth``), builds it on a
2-worker Dask cluster, simulates a kill (records of songs in flight missing, a half-written
record in ``tmp/``), checks that the resumed build writes exactly the same bytes, and that
``datasets.load_dataset`` loads every config of the result offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from nlc.cli import main
from nlc.dataset_builder.build.builder import build_dataset
from nlc.dataset_builder.fma_metadata import audio_path, write_tracks_csv
from nlc.dataset_builder.build.song_task import check_not_truncated
from nlc.dataset_builder.build.workdir import WorkDir
from nlc.errors import AudioError, InputError
from nlc.provenance import file_sha256

E2E_SONGS = 13  # >= 10 songs with pairs give train, test and >= 2 validation songs (between-song negatives)
CLIP_SONG, TRUNCATED_SONG = 12, 13


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): file_sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def test_truncated_whole_song_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "000001.wav"
    sf.write(path, np.zeros(44100 * 10, np.float32), 44100)
    check_not_truncated({"audio_path": str(path), "subset": "full", "duration": 10.0})
    check_not_truncated({"audio_path": str(path), "subset": "large", "duration": 200.0})  # clips are 30 s
    with pytest.raises(AudioError, match="truncated, holds 10.0 s of the 200.0 s"):
        check_not_truncated({"audio_path": str(path), "subset": "full", "duration": 200.0})


def test_bad_songs_are_recorded_with_reasons_and_not_retried(tmp_path: Path, capsys) -> None:
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
    # --max-songs stops early without releasing and without error
    (work / "failed" / "000002.json").unlink()
    partial = build_dataset(corpus, out, work_dir=work, workers=1, progress=False, max_songs=0)
    assert partial.pending == 1 and not partial.complete and partial.processed_now == 0 and not out.exists()
    # a re-run (here through the CLI) does not process them again: same one-line error, exit 2
    argv = ["dataset", "build", str(corpus), "--out", str(out), "--work-dir", str(work), "--no-progress"]
    assert main(argv) == 2
    assert "no song produced a loop pair" in capsys.readouterr().err
    # ... and settings changes are refused rather than mixed
    with pytest.raises(InputError, match="other settings"):
        build_dataset(corpus, out, work_dir=work, workers=1, progress=False, genre_id=None)
    # the beat tracker is an extraction setting: asking the CLI for the other one is refused the same way
    assert main([*argv, "--beat-tracker", "onset"]) == 2
    assert "other settings" in capsys.readouterr().err


@pytest.fixture(scope="module")
def synth_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nlc.dataset_builder.corpus.synth import build_synth_corpus

    root = tmp_path_factory.mktemp("synth") / "corpus"
    build_synth_corpus(root, n_songs=E2E_SONGS, seed=3, progress=False)
    # FMA's other audio: a 30-s clip in fma_large/ only, and a whole song cut short (truncated)
    full = audio_path(root, CLIP_SONG, subset="full")
    audio, sr = sf.read(full)
    clip = audio_path(root, CLIP_SONG, subset="large", ext=full.suffix[1:])
    clip.parent.mkdir(parents=True)
    sf.write(clip, audio[: 30 * sr], sr)
    full.unlink()
    cut = audio_path(root, TRUNCATED_SONG, subset="full")
    audio, sr = sf.read(cut)
    sf.write(cut, audio[: 10 * sr], sr)
    return root


@pytest.mark.slow
def test_killed_build_resumes_to_identical_bytes(synth_corpus: Path, tmp_path: Path) -> None:
    out, work = tmp_path / "nlc-loops", tmp_path / "nlc-loops.work"
    finished = build_dataset(synth_corpus, out, workers=2, seed=1, progress=False)
    assert finished.complete and finished.processed_now == finished.done
    reference = _hashes(out)

    # a kill at any moment: the songs in flight have no record, a half-written one lies in tmp/
    lost = sorted(WorkDir(work).done_ids())[2:5]
    for song_id in lost:
        shutil.rmtree(work / "songs" / song_id, ignore_errors=True)
        (work / "failed" / f"{song_id}.json").unlink(missing_ok=True)
    (work / "tmp" / "000001-half").mkdir(parents=True)
    (work / "tmp" / "000001-half" / "pairs.csv").write_text("loop_a,lo")
    shutil.rmtree(out)
    resumed = build_dataset(synth_corpus, out, workers=2, seed=1, progress=False)
    assert resumed.processed_now == len(lost) and resumed.complete
    assert _hashes(out) == reference  # extraction re-run in new processes: same loops, same bytes

    report = json.loads((out / "build_report.json").read_text())
    assert report["failed"][f"{TRUNCATED_SONG:06d}"].startswith(f"fma_full/000/{TRUNCATED_SONG:06d}.wav: truncated")
    assert report["clips"]["clips"] == 1 and report["ingest"]["songs_by_subset"]["large"] == 1
    clip_ok = f"{CLIP_SONG:06d}" not in report["failed"]
    assert (report["clips"]["bars_per_clip_mean"] or 0) > 0 if clip_ok else report["clips"]["clips_extracted"] == 0

    script = textwrap.dedent(f"""
        import json
        from datasets import load_dataset
        info = json.load(open("nlc-loops/protocol.json"))
        for group in info["groups"]:
            d = load_dataset("nlc-loops", group + "-loops", cache_dir={str(tmp_path / 'cache')!r})
            for split in d:
                s = d[split][0]["audio"].get_all_samples()
                assert tuple(s.data.shape) == (1, 88200) and s.sample_rate == 44100
        p = load_dataset("nlc-loops", "protocol", cache_dir={str(tmp_path / 'cache')!r})
        print("OK", p["classification"].num_rows)
    """)
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stderr[-3000:]


def test_canonical_loops_are_released_as_recorded_others_normalised(tmp_path: Path, monkeypatch) -> None:
    import io

    from nlc.dataset_builder.build import assemble
    from nlc.loops.layout import encode_wav, is_canonical_wav, normalise_wav
    from nlc.spec import LOOP_SAMPLES

    # every 16-bit value survives decode + re-encode, so canonical bytes need neither
    ramp = np.resize(np.arange(-32768, 32768, dtype=np.float32) / 32768, LOOP_SAMPLES)
    canonical = encode_wav(ramp)
    assert normalise_wav(canonical, where="ramp") == canonical
    assert is_canonical_wav(canonical)
    buffer = io.BytesIO()
    sf.write(buffer, np.stack([ramp, ramp], axis=1), 44100, format="WAV", subtype="FLOAT")  # an older record
    other = buffer.getvalue()
    work = WorkDir(tmp_path / "work")
    work.prepare({"x": 1})
    work.store_song("000001", {"loops/loop00.wav": canonical, "loops/loop01.wav": other}, roles={})
    calls = []
    monkeypatch.setattr(assemble, "normalise_wav", lambda data, *, where: calls.append(where) or normalise_wav(data, where=where))
    loop_wav = assemble.make_loop_reader(work)
    assert loop_wav("000001/loop00") == canonical and calls == []  # read once, not decoded
    assert loop_wav("000001/loop01") == normalise_wav(other, where="x") and len(calls) == 1
    with pytest.raises(InputError, match="loop audio missing"):
        loop_wav("000001/loop02")


@pytest.mark.slow
def test_process_song_works_in_memory_with_the_bytes_and_roles_of_the_song_folder(tmp_path: Path, monkeypatch) -> None:
    """The task writes nothing, and returns what extracting to a folder and reading it back gave."""
    import tempfile

    from extraction_songs import make_song

    from nlc.audio import load_audio
    from nlc.dataset_builder.build import song_task
    from nlc.dataset_builder.build.assemble import canonical_loop_bytes
    from nlc.dataset_builder.extraction import ExtractionConfig, extract_song
    from nlc.dataset_builder.roles.detector import classify_roles

    wav = tmp_path / "song.wav"
    sf.write(wav, make_song(tempo=110.0, seed=4).audio, 44100, subtype="FLOAT")
    config = ExtractionConfig(n_iter=30)
    folder = tmp_path / "out" / "000042"
    extract_song(wav, folder.parent, song_id="000042", config=config)

    def no_disk(*args, **kwargs):
        raise AssertionError("process_song touched the disk")

    for name in ("mkdtemp", "mkstemp", "TemporaryDirectory", "NamedTemporaryFile"):
        monkeypatch.setattr(tempfile, name, no_disk)
    monkeypatch.setattr("nlc.audio.write_wav", no_disk)
    monkeypatch.setattr("nlc.atomic.atomic_path", no_disk)
    before = sorted(tmp_path.rglob("*"))
    result = song_task.process_song({"song_id": "000042", "audio_path": str(wav), "subset": "full", "duration": None},
                                    config=config)
    monkeypatch.undo()
    assert result["ok"], result.get("reason")
    assert sorted(tmp_path.rglob("*")) == before

    files = result["files"]
    on_disk = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    assert list(files) == list(on_disk)
    for rel, data in on_disk.items():
        if rel != "summary.json":
            assert files[rel] == data, rel
    summary, expected = json.loads(files["summary.json"]), json.loads(on_disk["summary.json"])
    for key in ("timings", "cpu_timings"):
        assert list(summary.pop(key)) == list(expected.pop(key))
    assert summary == expected
    wavs = sorted((folder / "loops").glob("*.wav"))
    assert wavs and all(canonical_loop_bytes(files[f"loops/{p.name}"], where=p.name) is files[f"loops/{p.name}"]
                        for p in wavs)  # canonical: released as they are
    loops = np.stack([load_audio(p, allow_silence=True) for p in wavs])  # how roles were found before
    assert result["roles"] == {p.stem: str(r) for p, r in zip(wavs, classify_roles(loops))}
    assert np.array_equal(loops, np.stack([song_task.decode_loop(files[f"loops/{p.name}"]) for p in wavs]))


def test_process_song_turns_a_bad_song_into_a_one_line_failure(tmp_path: Path) -> None:
    from nlc.dataset_builder.build.song_task import process_song

    missing = process_song({"song_id": "000007", "audio_path": str(tmp_path / "none.wav"), "subset": "full"})
    assert not missing["ok"] and "no such file" in missing["reason"] and "\n" not in missing["reason"]
    assert missing["cpu_seconds"] >= 0
    bad_id = process_song({"song_id": ".hidden", "audio_path": str(tmp_path / "none.wav"), "subset": "full"})
    assert not bad_id["ok"] and "invalid song_id" in bad_id["reason"]


def test_local_workers_keep_one_thread_but_not_dasks_malloc_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dask's MALLOC_TRIM_THRESHOLD_=65536 cost a fifth of the per-song CPU in page faults
    (builder._client); its one-thread BLAS/OpenMP settings are kept."""
    from nlc.dataset_builder.build.builder import _client

    for name in ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)  # the environment would win over Dask's settings
    client, cluster = _client(1, None)
    try:
        env = next(iter(client.run(lambda: {k: os.environ.get(k) for k in (
            "MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}).values()))
    finally:
        client.close()
        cluster.close()
    assert env == {"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
