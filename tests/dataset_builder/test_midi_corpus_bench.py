"""``bench/midi_corpus.py``: truth of a MIDI song, rendered here by a tiny synthesiser instead of FluidSynth."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

mido = pytest.importorskip("mido")
sf = pytest.importorskip("soundfile")

BENCH = Path(__file__).resolve().parents[2] / "bench" / "midi_corpus.py"


@pytest.fixture(scope="module")
def mc():
    spec = importlib.util.spec_from_file_location("midi_corpus", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["midi_corpus"] = module
    spec.loader.exec_module(module)
    return module


def _song(path: Path, *, bpm: float = 120.0, signature: tuple[int, int] | None = (4, 4), bars: int = 16,
          second_tempo: bool = False) -> Path:
    """Bass (channel 1, program 34) in every bar, piano (channel 2) in bars 0-7, drums (channel 10) from bar 4."""
    beat = 480
    mid = mido.MidiFile(ticks_per_beat=beat)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0)])
    if signature:
        meta.append(mido.MetaMessage("time_signature", numerator=signature[0], denominator=signature[1], time=0))
    if second_tempo:
        meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm * 1.1), time=8 * 4 * beat))
    mid.tracks.append(meta)
    events = []  # (tick, message)
    for channel, program, first, last, note in ((0, 33, 0, bars, 36), (1, 0, 0, 8, 72), (9, 0, 4, bars, 38)):
        if channel != 9:
            events.append((0, mido.Message("program_change", channel=channel, program=program)))
        for bar in range(first, last):
            for b in range(4):
                t = (bar * 4 + b) * beat
                events.append((t, mido.Message("note_on", channel=channel, note=note, velocity=100)))
                events.append((t + beat // 2, mido.Message("note_off", channel=channel, note=note, velocity=0)))
    track, now = mido.MidiTrack(), 0
    for t, msg in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
        track.append(msg.copy(time=t - now))
        now = t
    mid.tracks.append(track)
    mid.save(path)
    return path


def _render(midi: Path, wav: Path) -> None:
    """A stand-in for FluidSynth: a sine per pitched note, a noise burst per drum note, 1 s of tail."""
    sr = 44_100
    mid = mido.MidiFile(midi)
    out = np.zeros(int((mid.length + 1.0) * sr), dtype=np.float32)
    now, start = 0.0, {}
    rng = np.random.default_rng(0)
    for msg in mid:
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            start[(msg.channel, msg.note)] = now
        elif msg.type in ("note_off", "note_on") and (msg.channel, msg.note) in start:
            t0 = start.pop((msg.channel, msg.note))
            a, b = int(t0 * sr), int(now * sr)
            t = np.arange(b - a) / sr
            tone = rng.standard_normal(b - a) * np.exp(-t * 30) if msg.channel == 9 else \
                np.sin(2 * np.pi * 440.0 * 2 ** ((msg.note - 69) / 12) * t)
            out[a:b] += 0.2 * tone.astype(np.float32)
    sf.write(wav, out, sr)


def test_refusals_name_what_makes_the_truth_a_guess(mc, tmp_path: Path) -> None:
    assert mc.refusal(mc.read_song(_song(tmp_path / "ok.mid"))) is None
    assert "time signatures []" in mc.refusal(mc.read_song(_song(tmp_path / "nosig.mid", signature=None)))
    assert "(3, 4)" in mc.refusal(mc.read_song(_song(tmp_path / "waltz.mid", signature=(3, 4))))
    assert "2 tempi" in mc.refusal(mc.read_song(_song(tmp_path / "rit.mid", second_tempo=True)))
    assert "at least 30 s" in mc.refusal(mc.read_song(_song(tmp_path / "short.mid", bars=4)))


def test_general_midi_roles(mc) -> None:
    assert mc.gm_role(9, 0) == "drum" and mc.gm_role(9, 33) == "drum"
    assert [mc.gm_role(0, p) for p in (31, 32, 39, 40)] == ["other", "bass", "bass", "other"]


def test_solo_keeps_the_channels_timing(mc, tmp_path: Path) -> None:
    path = _song(tmp_path / "song.mid")
    piano = mc.solo(mido.MidiFile(path), 1)
    now, onsets = 0.0, []
    for msg in piano:
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            onsets.append(round(now, 6))
        assert getattr(msg, "channel", 1) == 1
    assert onsets == [0.5 * k for k in range(32)]  # 8 bars of quarter notes at 120 BPM
    assert any(m.type == "set_tempo" for m in piano)


def test_song_truth_stems_and_layout(mc, tmp_path: Path) -> None:
    path = _song(tmp_path / "song.mid")
    truth = mc.write_song(tmp_path / "corpus", 3, path, mc.read_song(path), render=_render)
    folder = tmp_path / "corpus" / "ground_truth" / "000003"
    assert json.loads((folder / "truth.json").read_text()) == truth
    assert (tmp_path / "corpus" / "fma_full" / "000" / "000003.wav").is_file()
    assert truth["tempo"] == pytest.approx(120.0) and truth["n_bars"] == 17  # 33 s of audio, bars of 2 s
    assert np.allclose(np.diff(truth["downbeats"]), 2.0)
    assert [(lp["name"], lp["role"]) for lp in truth["loops"]] == [("ch1", "bass"), ("ch2", "other"), ("ch10", "drum")]
    assert all((folder / lp["stem"]).is_file() for lp in truth["loops"])
    layout = np.asarray(truth["layout"])
    assert layout.shape == (17, 3)
    assert layout[:16, 0].all() and not layout[16, 0]
    assert layout[:8, 1].all() and not layout[8:, 1].any()
    assert not layout[:4, 2].any() and layout[4:16, 2].all()
    assert not list(folder.parent.glob(".*")) and not list((tmp_path / "corpus").glob(".render-*"))


def test_main_skips_refused_and_finished_songs_and_reports_failures(mc, tmp_path: Path, monkeypatch, capsys) -> None:
    midi = tmp_path / "midi"
    midi.mkdir()
    _song(midi / "a.mid")
    _song(midi / "b_nosig.mid", signature=None)
    _song(midi / "c.mid")
    (midi / "d_corrupt.mid").write_bytes(b"RIFF not a MIDI file")
    font = tmp_path / "font.sf2"
    font.write_bytes(b"")
    calls: list[str] = []

    def render(m: Path, w: Path, *, soundfont: Path) -> None:
        calls.append(m.name)
        if m.name == "c.mid":
            raise RuntimeError("fluidsynth failed on c.mid: boom")
        _render(m, w)

    monkeypatch.setattr(mc, "fluidsynth", render)
    out = tmp_path / "corpus"
    assert mc.main([str(out), "--midi-dir", str(midi), "--soundfont", str(font)]) == 0
    text = capsys.readouterr().out
    assert "skipped b_nosig.mid: time signatures []" in text and "failed c.mid: fluidsynth failed on c.mid: boom" in text
    assert "skipped d_corrupt.mid: unreadable MIDI" in text
    assert "1 songs kept, 2 skipped, 1 failed, of 4 MIDI files" in text
    assert (out / "ground_truth" / "000001" / "truth.json").is_file()  # ids follow the sorted file list
    assert not (out / "ground_truth" / "000003").exists()
    calls.clear()
    assert mc.main([str(out), "--midi-dir", str(midi), "--soundfont", str(font)]) == 0
    assert calls == ["c.mid"]  # the finished song is not rendered again
