"""Negative sampling for loop compatibility (paper section 4.1).

The extraction pipeline only yields *positive* pairs: loops that a producer really played
together. A compatibility model also needs pairs known to clash, so the paper proposes five
ways to make them from a positive pair ``(source, target)``:

* between-song: **random** replaces the target by a loop from another song; **selected**
  does the same but never picks a pure-drum or pure-bass loop, because those fit almost
  anything (roles come from the builder's role detector);
* within-song: **reverse** plays the target backward, **shift** rotates it by 1 to 3 beats,
  **rearrange** cuts it into its four beats and reorders them (never the identity order).

A negative is stored as a :class:`NegativeRecipe`, not as audio: the benchmark freezes its
negatives as recipes in the protocol tables and the baselines draw training negatives with
the very same :func:`draw_recipe` / :func:`apply_recipe`, so both always agree on what a
"shift" or a "rearrange" is. Loops are ``(..., 88200)`` float arrays holding one 4/4 bar,
i.e. :data:`~nlc.features.BEATS_PER_LOOP` beats; any length divisible by four is accepted
so that the transforms also work on shorter test signals.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from nlc.errors import InputError
from nlc.spec import BEATS_PER_LOOP
from nlc.loops.layout import ROLES

if TYPE_CHECKING:
    import pandas as pd

METHODS: tuple[str, ...] = ("random", "selected", "reverse", "shift", "rearrange")
"""The five negative sampling methods of the paper, in its order."""
BETWEEN_SONG: frozenset[str] = frozenset({"random", "selected"})
"""Methods that replace the target by another song's loop."""
SHIFT_BEATS: tuple[int, ...] = (1, 2, 3)
"""Beat shifts the ``shift`` method draws from (uniformly)."""
IDENTITY: tuple[int, ...] = tuple(range(BEATS_PER_LOOP))
NON_IDENTITY_PERMUTATIONS: tuple[tuple[int, ...], ...] = tuple(
    p for p in itertools.permutations(range(BEATS_PER_LOOP)) if p != IDENTITY
)
"""The 23 beat orders ``rearrange`` draws from (uniformly): every permutation but the identity."""
_SELECTABLE_ROLE = "other"
_MAX_REJECTIONS = 64


@dataclass(frozen=True)
class NegativeRecipe:
    """Everything needed to recreate one negative exactly from its positive pair.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    other_loop_id : str or None
        ``random``/``selected`` only: global id of the loop that replaces the target.
    shift_beats : int or None
        ``shift`` only: rotation in beats, 1 to 3 (positive = later in time).
    permutation : tuple of int or None
        ``rearrange`` only: output beat ``i`` is input beat ``permutation[i]``; a
        permutation of ``0..3`` other than the identity.
    """

    method: str
    other_loop_id: str | None = None
    shift_beats: int | None = None
    permutation: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"unknown negative sampling method {self.method!r}; expected one of {METHODS}")
        if self.permutation is not None:
            object.__setattr__(self, "permutation", _check_permutation(self.permutation))
        wants = {
            "other_loop_id": self.method in BETWEEN_SONG,
            "shift_beats": self.method == "shift",
            "permutation": self.method == "rearrange",
        }
        for name, needed in wants.items():
            value = getattr(self, name)
            if needed and value is None:
                raise InputError(f"a {self.method!r} recipe needs {name}")
            if not needed and value is not None:
                raise InputError(f"a {self.method!r} recipe takes no {name} (got {value!r})")
        if self.method in BETWEEN_SONG and (not isinstance(self.other_loop_id, str) or not self.other_loop_id):
            raise InputError(f"other_loop_id must be a non-empty loop id, got {self.other_loop_id!r}")
        if self.method == "shift" and (
            isinstance(self.shift_beats, bool) or not isinstance(self.shift_beats, (int, np.integer))
            or int(self.shift_beats) not in SHIFT_BEATS
        ):
            raise InputError(f"shift_beats must be an integer in {SHIFT_BEATS}, got {self.shift_beats!r}")
        if self.method == "shift":
            object.__setattr__(self, "shift_beats", int(self.shift_beats))  # type: ignore[arg-type]
        if self.method == "rearrange" and self.permutation == IDENTITY:
            raise InputError("a 'rearrange' recipe must not use the identity permutation")


@dataclass(frozen=True)
class LoopPool:
    """Candidate loops for between-song negatives, as three aligned tuples.

    Parameters
    ----------
    loop_ids : tuple of str
        Global loop ids (``"<song_id>/<local_id>"``), unique.
    song_ids : tuple of str
        The song each loop comes from.
    roles : tuple of str
        Instrumentation role of each loop, one of ``("drum", "bass", "other")``.
    """

    loop_ids: tuple[str, ...]
    song_ids: tuple[str, ...]
    roles: tuple[str, ...]

    def __post_init__(self) -> None:
        for name in ("loop_ids", "song_ids", "roles"):
            object.__setattr__(self, name, tuple(str(v) for v in getattr(self, name)))
        if not (len(self.loop_ids) == len(self.song_ids) == len(self.roles)):
            raise InputError(
                f"LoopPool needs aligned tuples, got {len(self.loop_ids)} loop ids, "
                f"{len(self.song_ids)} song ids and {len(self.roles)} roles"
            )
        if len(set(self.loop_ids)) != len(self.loop_ids):
            raise InputError("LoopPool loop_ids contain duplicates")
        bad = sorted(set(self.roles) - set(ROLES))
        if bad:
            raise InputError(f"LoopPool roles must be in {ROLES}, got {bad}")

    @classmethod
    def from_pairs(cls, pairs: pd.DataFrame) -> LoopPool:
        """Every loop of a pairs table (columns ``song_id, source_id, target_id,
        source_role, target_role``), once each, sorted by loop id."""
        import pandas as pd

        columns = ["song_id", "source_id", "target_id", "source_role", "target_role"]
        missing = [c for c in columns if c not in pairs.columns]
        if missing:
            raise InputError(f"pairs table lacks column(s) {missing} needed for a loop pool")
        names = ["loop_id", "song_id", "role"]
        loops = pd.concat([pairs[["source_id", "song_id", "source_role"]].set_axis(names, axis=1),
                           pairs[["target_id", "song_id", "target_role"]].set_axis(names, axis=1)]).astype(str)
        loops = loops.drop_duplicates("loop_id", keep="first").sort_values("loop_id", kind="stable")
        return cls(tuple(loops["loop_id"]), tuple(loops["song_id"]), tuple(loops["role"]))

    @cached_property
    def _song_array(self) -> np.ndarray:
        return np.asarray(self.song_ids, dtype=object)

    @cached_property
    def _selectable(self) -> np.ndarray:
        return np.flatnonzero(np.asarray(self.roles, dtype=object) == _SELECTABLE_ROLE)


def _beat_view(target: np.ndarray, what: str) -> np.ndarray:
    target = np.asarray(target)
    if target.ndim == 0 or target.shape[-1] == 0 or target.shape[-1] % BEATS_PER_LOOP:
        raise InputError(
            f"{what}: the last axis must hold {BEATS_PER_LOOP} equal beats (length divisible by "
            f"{BEATS_PER_LOOP}), got shape {target.shape}"
        )
    return target


def _check_permutation(permutation: Sequence[int]) -> tuple[int, ...]:
    try:
        perm = tuple(int(i) for i in permutation)
    except (TypeError, ValueError):
        raise InputError(f"permutation must be a sequence of beat indices, got {permutation!r}") from None
    if sorted(perm) != list(IDENTITY):
        raise InputError(f"permutation must reorder the beats {IDENTITY}, got {perm}")
    return perm


def reverse(target: np.ndarray) -> np.ndarray:
    """The target played backward along its last (time) axis; returns a new array."""
    target = np.asarray(target)
    if target.ndim == 0:
        raise InputError("reverse: expected audio with a time axis, got a scalar")
    return np.flip(target, axis=-1).copy()


def shift(target: np.ndarray, *, beats: int) -> np.ndarray:
    """Cyclic shift of the target by whole beats (a beat is a quarter of the last axis).

    ``beats > 0`` delays the audio: what was at beat 0 is now at beat ``beats`` and the
    tail wraps around to the start, so the loop keeps its content but lands off the grid
    of the source loop.
    """
    target = _beat_view(target, "shift")
    if isinstance(beats, bool) or not isinstance(beats, (int, np.integer)):
        raise InputError(f"shift: beats must be an integer, got {beats!r}")
    beat = target.shape[-1] // BEATS_PER_LOOP
    return np.roll(target, int(beats) * beat, axis=-1)


def rearrange(target: np.ndarray, *, permutation: Sequence[int]) -> np.ndarray:
    """The target cut into its four beats, reassembled in ``permutation`` order.

    Output beat ``i`` is input beat ``permutation[i]``. The identity is accepted here
    (it is a valid reordering); :func:`draw_recipe` never draws it.
    """
    target = _beat_view(target, "rearrange")
    perm = _check_permutation(permutation)
    beats = target.reshape(*target.shape[:-1], BEATS_PER_LOOP, target.shape[-1] // BEATS_PER_LOOP)
    return beats[..., list(perm), :].reshape(target.shape).copy()


def _draw_other(song_id: str, pool: LoopPool, rng: np.random.Generator, *, selected: bool) -> str:
    songs = pool._song_array
    candidates = pool._selectable if selected else np.arange(len(pool.loop_ids))
    if candidates.size:
        # Rejection sampling is exactly uniform over the valid loops and O(1) per draw when,
        # as in any real corpus, the query's own song holds a small share of the pool.
        for _ in range(_MAX_REJECTIONS):
            i = candidates[rng.integers(candidates.size)]
            if songs[i] != song_id:
                return pool.loop_ids[i]
        candidates = candidates[songs[candidates] != song_id]
        if candidates.size:
            return pool.loop_ids[candidates[rng.integers(candidates.size)]]
    kind = "loop with role 'other'" if selected else "loop"
    raise InputError(f"no {kind} from a song other than {song_id!r} in the pool of {len(pool.loop_ids)} loops")


def draw_recipe(method: str, *, song_id: str, pool: LoopPool, rng: np.random.Generator) -> NegativeRecipe:
    """Draw one negative recipe for a positive pair of song ``song_id``.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    song_id : str
        Song of the positive pair; ``random``/``selected`` never pick a loop of it.
    pool : LoopPool
        Candidate loops for ``random``/``selected`` (ignored by the other methods).
    rng : np.random.Generator
        The only source of randomness: same generator state, same recipe.

    Returns
    -------
    NegativeRecipe
        ``random``: a uniform loop of another song; ``selected``: a uniform loop of
        another song whose role is ``"other"`` (never pure drum or pure bass);
        ``reverse``: no parameter; ``shift``: 1, 2 or 3 beats, uniform;
        ``rearrange``: one of the 23 non-identity beat orders, uniform.
    """
    if method not in METHODS:
        raise InputError(f"unknown negative sampling method {method!r}; expected one of {METHODS}")
    if not isinstance(pool, LoopPool):
        raise InputError(f"pool must be a LoopPool, got {type(pool).__name__}")
    if method in BETWEEN_SONG:
        other = _draw_other(str(song_id), pool, rng, selected=method == "selected")
        return NegativeRecipe(method, other_loop_id=other)
    if method == "shift":
        return NegativeRecipe("shift", shift_beats=SHIFT_BEATS[rng.integers(len(SHIFT_BEATS))])
    if method == "rearrange":
        perm = NON_IDENTITY_PERMUTATIONS[rng.integers(len(NON_IDENTITY_PERMUTATIONS))]
        return NegativeRecipe("rearrange", permutation=perm)
    return NegativeRecipe("reverse")


def apply_recipe(recipe: NegativeRecipe, target: np.ndarray, *, other: np.ndarray | None = None) -> np.ndarray:
    """Make the negative's candidate audio from the positive's target.

    Parameters
    ----------
    recipe : NegativeRecipe
    target : np.ndarray, shape (..., n) with n divisible by 4
        The positive pair's target loop(s).
    other : np.ndarray or None
        ``random``/``selected`` only: the audio of ``recipe.other_loop_id``, same shape
        as ``target``; it is returned (as a copy) in place of the target.

    Returns
    -------
    np.ndarray, same shape and dtype as ``target``
    """
    if not isinstance(recipe, NegativeRecipe):
        raise InputError(f"recipe must be a NegativeRecipe, got {type(recipe).__name__}")
    target = _beat_view(target, f"apply_recipe({recipe.method})")
    if recipe.method in BETWEEN_SONG:
        if other is None:
            raise InputError(f"a {recipe.method!r} recipe needs the audio of {recipe.other_loop_id!r} as other=")
        other = np.asarray(other)
        if other.shape != target.shape:
            raise InputError(f"other loop {recipe.other_loop_id!r} has shape {other.shape}, target {target.shape}")
        return other.astype(target.dtype, copy=True)
    if other is not None:
        raise InputError(f"a {recipe.method!r} recipe transforms the target; other= must be None")
    if recipe.method == "reverse":
        return reverse(target)
    if recipe.method == "shift":
        return shift(target, beats=recipe.shift_beats)  # type: ignore[arg-type]
    return rearrange(target, permutation=recipe.permutation)  # type: ignore[arg-type]
