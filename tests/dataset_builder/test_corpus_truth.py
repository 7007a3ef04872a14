"""Bar activity from stem energies and truth.json I/O."""

from __future__ import annotations

import numpy as np
import pytest

from nlc.dataset_builder.corpus.truth import bar_activity, bar_rms_db, read_truth, write_truth
from nlc.errors import InputError


def test_bar_activity_follows_energy():
    bar = 1000
    starts = np.arange(5) * bar
    loud = np.concatenate([np.ones(bar), np.zeros(bar), 0.5 * np.ones(bar), np.zeros(bar)])
    faint = np.concatenate([np.zeros(3 * bar), 1e-5 * np.ones(bar)])  # -100 dBFS: below the floor
    act = bar_activity([loud, faint], starts)
    np.testing.assert_array_equal(act, [[1, 0], [0, 0], [1, 0], [0, 0]])
    np.testing.assert_allclose(bar_rms_db(loud, starts)[[0, 2]], [0.0, 20 * np.log10(0.5)], atol=1e-9)
    # audio shorter than the last bar counts as silence there
    assert bar_rms_db(np.ones(bar), np.array([0, bar, 2 * bar]))[1] < -150


def test_truth_round_trip_and_checks(tmp_path):
    truth = {"track_id": 3, "tempo": 90.0, "downbeats": [0.0, 2.666667], "n_bars": 2,
             "loops": [{"name": "a", "role": "drum", "stem": "stems/a.wav", "bars": 1}], "layout": [[1], [0]]}
    write_truth(tmp_path, truth)
    assert read_truth(tmp_path) == truth
    truth["layout"] = [[1]]
    write_truth(tmp_path, truth)
    with pytest.raises(InputError, match="layout shape"):
        read_truth(tmp_path)
    with pytest.raises(InputError, match="lacks"):
        write_truth(tmp_path, {"track_id": 1})
