"""Run a submission in a sandbox: it scores the audio it is handed and learns nothing else.

A submission is arbitrary Python. ``nlc-bench run --sandbox``, ``validate --sandbox`` and every
leaderboard verification load it in a child process under bubblewrap (Debian's ``bwrap``) and
talk to it over a pipe; :class:`SandboxedSubmission` has the interface of
:class:`nlc.protocol.Submission`, so the benchmark harness runs unchanged in the parent.

What the child can and cannot do:

* It never learns where the dataset is: the parent reads the protocol and the audio, sends
  each batch of loops down the pipe and reads the scores back. Only the parent writes results.
* Its file system is a fresh tmpfs holding read-only views of the system (``/usr``), the
  Python installation and its packages, the ``nlc`` package and ``nlc.baselines`` (the model
  code the baselines' submissions import), and the submission's own folder; paths the caller
  names in ``hide`` (the dataset, the board) are covered by empty folders when they lie inside
  one of those. ``/tmp`` and ``/dev/shm`` are private and empty. The environment is empty but
  for a few fixed variables (no token is inherited).
* It has its own mount, PID, network, IPC and UTS namespaces: no network interface but a down
  loopback, no view of the parent's processes, no abstract Unix sockets of the host. Run by
  root, it drops to user ``nobody`` (65534) before the submission is imported; run by anyone
  else, it runs in its own user namespace with that user's rights.
* Limits: an address-space cap (RLIMIT_AS), a cap on the processes and threads it may add
  (RLIMIT_NPROC), and a wall-clock limit on the whole session enforced by the parent, which
  then kills the sandbox; ending the sandbox's PID namespace ends every process in it,
  including daemons started with ``setsid``.

The wire format carries only JSON headers and ``.npy`` arrays read with ``allow_pickle=False``:
nothing the child sends can run code in the parent.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from nlc.errors import InputError, SubmissionError, SubmissionRaised

NOBODY: int = 65534
"""User and group id the sandbox drops to when started by root."""
MAX_HEADER_BYTES: int = 1 << 20
"""Largest JSON header either side accepts."""
MAX_ARRAY_BYTES: int = 1 << 30
"""Largest array either side accepts (a batch of 64 loop pairs is 45 MB)."""
MAX_FOLDER_BYTES: int = 8 << 30
"""Largest submission folder copied into the sandbox (model file, checkpoints, configuration)."""
CHILD_ENV: dict[str, str] = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONNOUSERSITE": "1",
    "OMP_WAIT_POLICY": "PASSIVE",
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}
"""The child's whole environment, plus ``NLC_DEVICE`` and the thread and CUDA settings below."""
PASSED_ENV: tuple[str, ...] = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "CUDA_VISIBLE_DEVICES",
                               "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
"""Variables copied from the caller when set: they tune speed, never reveal anything."""


@dataclass(frozen=True)
class SandboxLimits:
    """Limits of one sandboxed session.

    Attributes
    ----------
    timeout_s : float, default 3600
        Wall-clock limit of the whole session (loading, every call), in seconds.
    memory_mb : int, default 16384
        Address-space limit of the submission's process in MiB (RLIMIT_AS); 0 = none. CUDA
        reserves far more address space than it uses, so a CUDA run needs 0.
    max_processes : int, default 256
        Processes and threads the submission may add (RLIMIT_NPROC; torch starts a thread per core).
    """

    timeout_s: float = 3600.0
    memory_mb: int = 16384
    max_processes: int = 256

    def __post_init__(self) -> None:
        if not self.timeout_s > 0 or self.memory_mb < 0 or self.max_processes < 1:
            raise InputError(f"sandbox limits must be positive, got {self}")

    def describe(self) -> str:
        memory = f"{self.memory_mb} MiB address space" if self.memory_mb else "no memory cap"
        return f"{self.timeout_s:g} s wall clock, {memory}, {self.max_processes} more processes/threads"


def bwrap_path() -> str:
    """Path of ``bwrap``, or an :class:`InputError` saying how to install it."""
    found = shutil.which("bwrap")
    if found is None:
        raise InputError("the sandbox needs bubblewrap ('bwrap'): apt-get install bubblewrap (make install does)")
    return found


# --- wire format: [u32 header length][header JSON][raw bytes of each array the header describes] ---

_DTYPE_KINDS = frozenset("biufc")  # booleans and numbers only: no objects, no pickles


def _write_all(fd: int, data: bytes | memoryview, deadline: float | None) -> None:
    view = memoryview(data).cast("B")
    while view:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if not select.select([], [fd], [], remaining)[1]:
                continue
        try:
            view = view[os.write(fd, view[:1 << 20]):]
        except BlockingIOError:
            continue


def _read_exact(fd: int, n: int, deadline: float | None) -> bytearray:
    out = bytearray(n)
    view, got = memoryview(out), 0
    while got < n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
        count = os.readv(fd, [view[got:]])
        if count == 0:
            raise EOFError
        got += count
    return out


def send_message(fd: int, header: dict[str, Any], arrays: Sequence[np.ndarray] = (),
                 deadline: float | None = None) -> None:
    """Send a JSON header (which gets an ``"arrays"`` list of dtype and shape) and the arrays' bytes."""
    arrays = [np.ascontiguousarray(a) for a in arrays]
    meta = [{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays]
    head = json.dumps({**header, "arrays": meta}).encode()
    _write_all(fd, struct.pack(">I", len(head)) + head, deadline)
    for array in arrays:
        if array.nbytes:
            _write_all(fd, array.data.cast("B"), deadline)


def read_message(fd: int, deadline: float | None = None) -> tuple[dict[str, Any], list[np.ndarray]]:
    """Read one message; raises ``EOFError``, ``TimeoutError`` or :class:`SubmissionError` (malformed)."""
    (size,) = struct.unpack(">I", _read_exact(fd, 4, deadline))
    if size > MAX_HEADER_BYTES:
        raise SubmissionError(f"sandbox: a {size}-byte message header, more than {MAX_HEADER_BYTES}")
    try:
        header = json.loads(_read_exact(fd, size, deadline))
        specs = [(np.dtype(m["dtype"]), tuple(int(d) for d in m["shape"])) for m in header["arrays"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise SubmissionError(f"sandbox: malformed message header ({exc})") from None
    arrays = []
    for dtype, shape in specs[:4]:
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if dtype.kind not in _DTYPE_KINDS or dtype.hasobject or min(shape, default=0) < 0:
            raise SubmissionError(f"sandbox: refused array of dtype {dtype} and shape {shape}")
        if count * dtype.itemsize > MAX_ARRAY_BYTES:
            raise SubmissionError(f"sandbox: a {count * dtype.itemsize}-byte array, more than {MAX_ARRAY_BYTES}")
        data = _read_exact(fd, count * dtype.itemsize, deadline)
        arrays.append(np.frombuffer(data, dtype=dtype).reshape(shape))
    if len(specs) > 4:
        raise SubmissionError("sandbox: more than 4 arrays in one message")
    return header, arrays


# --- the parent's side -----------------------------------------------------------------------------

def _tasks_of(uid: int) -> int:
    """Processes and threads the kernel counts against ``uid``'s RLIMIT_NPROC now."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                total += int(fields["Threads"])
        except (OSError, KeyError, ValueError):
            continue
    return total


def _parents(path: Path) -> list[Path]:
    return list(reversed(path.parents))[1:]  # "/" excluded


def _copy_folder(folder: Path, dest: Path, *, hide: Sequence[Path]) -> None:
    """Copy the submission's folder for the sandbox: readable by anyone (the sandbox runs as
    ``nobody`` when started by root), symbolic links kept as links (one pointing outside the
    folder dangles in the sandbox, so it cannot smuggle in the dataset), hidden paths left out."""
    total = 0
    hidden = {h.resolve() for h in hide}

    def ignore(where: str, names: list[str]) -> list[str]:
        nonlocal total
        skipped = []
        for name in names:
            full = Path(where) / name
            if full.resolve() in hidden and not full.is_symlink():
                skipped.append(name)
            elif full.is_file() and not full.is_symlink():
                total += full.stat().st_size
        if total > MAX_FOLDER_BYTES:
            raise InputError(f"{folder}: more than {MAX_FOLDER_BYTES >> 30} GiB; give the submission a folder of its "
                             "own (it is copied into the sandbox)")
        return skipped

    shutil.copytree(folder, dest, symlinks=True, ignore=ignore)
    for root, dirs, files in os.walk(dest):
        os.chmod(root, 0o755)
        for name in files:
            if not os.path.islink(os.path.join(root, name)):
                os.chmod(os.path.join(root, name), 0o644)


def _bwrap_command(submission: Path, copy: Path, *, device: str, hide: Sequence[Path]) -> list[str]:
    """The bubblewrap command line that starts :mod:`nlc.sandbox_server` on ``submission``, whose
    folder's copy ``copy`` is shown read-only at the folder's own path."""
    import importlib.util

    import nlc

    visible = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.base_exec_prefix),
               Path(os.path.realpath(sys.executable)).parent.parent, Path(nlc.__file__).resolve().parent]
    baselines = importlib.util.find_spec("nlc.baselines")  # the model code submissions may import: located, not imported
    if baselines is not None and baselines.submodule_search_locations:
        visible.append(Path(list(baselines.submodule_search_locations)[0]).resolve())
    binds: list[Path] = []
    for path in sorted({p.resolve() for p in visible}, key=lambda p: (len(p.parts), str(p))):
        if not any(path == b or b in path.parents for b in binds):
            binds.append(path)
    root = os.getuid() == 0
    cmd = [bwrap_path(), "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
           "--unshare-uts", "--unshare-cgroup-try", "--clearenv", "--hostname", "sandbox"]
    cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"] if root else ["--unshare-user"]
    # Private /tmp, /dev and /proc first: the read-only views below may lie inside /tmp (a test's folder).
    cmd += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
            "--perms", "1777", "--tmpfs", "/dev/shm", "--ro-bind-try", "/sys", "/sys", "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "sbin", "lib32", "libx32"):
        top = Path("/") / name
        if top.is_symlink():
            cmd += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            cmd += ["--ro-bind", str(top), str(top)]
    cmd += ["--perms", "0755", "--dir", "/etc"]  # the loader's cache (ctypes finds libsndfile through it), no more
    for etc in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives"):
        cmd += ["--ro-bind-try", etc, etc]
    made: set[Path] = {Path("/usr"), Path("/tmp"), Path("/dev"), Path("/proc"), Path("/sys"), Path("/etc")}
    for path in binds:
        for parent in _parents(path):
            if parent not in made and not any(parent == b or b in parent.parents for b in binds):
                cmd += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        cmd += ["--ro-bind", str(path), str(path)]
    folder = submission.parent
    for parent in _parents(folder):
        if parent not in made and not any(parent == b or b in parent.parents for b in binds):
            cmd += ["--perms", "0755", "--dir", str(parent)]
            made.add(parent)
    cmd += ["--ro-bind", str(copy), str(folder)]
    for secret in sorted({Path(h).resolve() for h in hide}):
        if folder in (secret, *secret.parents):
            continue  # left out of the folder's copy
        if any(secret == b or b in secret.parents for b in binds):
            cmd += ["--tmpfs", str(secret)]  # an empty folder where the dataset or the board would be
    if device.startswith("cuda"):
        for node in sorted(Path("/dev").glob("nvidia*")):
            cmd += ["--dev-bind", str(node), str(node)]
    env = {**CHILD_ENV, "NLC_DEVICE": device, **{k: os.environ[k] for k in PASSED_ENV if k in os.environ}}
    for key, value in sorted(env.items()):
        cmd += ["--setenv", key, value]
    cmd += ["--chdir", str(submission.parent), sys.executable, "-I", "-m", "nlc.sandbox_server"]
    return cmd


class SandboxedSubmission:
    """A submission loaded in a sandbox; ``score``/``embed`` run there (see the module docstring).

    Made by :func:`open_sandboxed`; ``threshold``, ``has_embed`` and ``name`` as for
    :class:`nlc.protocol.Submission`.
    """

    def __init__(self, proc: subprocess.Popen[bytes], path: Path, limits: SandboxLimits, stderr: deque[str]):
        self._proc, self.path, self.limits, self._stderr = proc, path, limits, stderr
        self._deadline = time.monotonic() + limits.timeout_s
        assert proc.stdin is not None and proc.stdout is not None
        self._out, self._in = proc.stdin.fileno(), proc.stdout.fileno()
        os.set_blocking(self._out, False)
        for fd in (self._out, self._in):
            try:
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)  # 1 MiB pipes: a batch of loops in fewer wake-ups
            except OSError:
                pass
        self.threshold = 0.5
        self.has_embed = False

    @property
    def name(self) -> str:
        return self.path.stem

    def _failure(self, doing: str, exc: BaseException) -> SubmissionError:
        if isinstance(exc, SubmissionError):
            self.close()
            return SubmissionError(f"{self.path.name}: {exc} (in {doing})")
        if isinstance(exc, TimeoutError):
            self.close()
            return SubmissionError(f"{self.path.name}: exceeded the {self.limits.timeout_s:g} s time limit in {doing}")
        self.close()
        code = self._proc.returncode
        last = next((line for line in reversed(self._stderr) if line.strip()), "")
        why = "was killed (memory or process limit, or a signal)" if code is not None and code < 0 else f"exited ({code})"
        tail = f"; last output: {last.strip()[:200]}" if last else ""
        return SubmissionError(f"{self.path.name}: the sandboxed process {why} during {doing}{tail}")

    def _request(self, doing: str, header: dict[str, Any], arrays: Sequence[np.ndarray] = ()) -> np.ndarray:
        try:
            send_message(self._out, header, arrays, self._deadline)
            reply, out = read_message(self._in, self._deadline)
        except (TimeoutError, EOFError, OSError, SubmissionError) as exc:
            raise self._failure(doing, exc) from None
        if not reply.get("ok") and reply.get("protocol"):
            raise SubmissionError(f"{self.path.name}: {str(reply.get('message', ''))[:300]}")
        if not reply.get("ok"):
            raise SubmissionRaised(str(reply.get("type", "Exception"))[:80], str(reply.get("message", ""))[:300])
        if len(out) != 1:
            raise self._failure(doing, SubmissionError(f"the sandbox answered {len(out)} arrays, expected 1"))
        return out[0]

    def _handshake(self) -> None:
        try:
            reply, _ = read_message(self._in, self._deadline)
        except (TimeoutError, EOFError, OSError, SubmissionError) as exc:
            raise self._failure("loading", exc) from None
        if not reply.get("ok"):
            self.close()
            raise SubmissionError(str(reply.get("message", "loading failed"))[:400])
        threshold = reply.get("threshold")
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not np.isfinite(threshold):
            self.close()
            raise SubmissionError(f"{self.path.name}: THRESHOLD must be a finite number, got {threshold!r}")
        self.threshold, self.has_embed = float(threshold), bool(reply.get("has_embed"))

    def score(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """The submission's ``score`` on one batch, computed in the sandbox (unchecked, as in-process)."""
        return self._request("score()", {"op": "score"}, [np.asarray(sources, np.float32), np.asarray(targets, np.float32)])

    def embed(self, loops: np.ndarray) -> np.ndarray:
        """The submission's ``embed`` on one batch, computed in the sandbox (unchecked, as in-process)."""
        return self._request("embed()", {"op": "embed"}, [np.asarray(loops, np.float32)])

    def close(self) -> None:
        """End the sandbox: ask the child to exit, then kill whatever is left of it."""
        if self._proc.poll() is None:
            try:
                send_message(self._out, {"op": "exit"}, deadline=time.monotonic() + 1.0)
                self._proc.wait(timeout=2.0)
            except (OSError, TimeoutError, subprocess.TimeoutExpired):
                pass
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)  # bwrap's PID namespace takes every process with it
            except ProcessLookupError:
                pass
            self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                stream.close()


def _drain(stream: BinaryIO, keep: deque[str]) -> None:
    for raw in iter(stream.readline, b""):
        keep.append(raw.decode("utf-8", "replace")[:500])


@contextmanager
def open_sandboxed(path: str | os.PathLike[str], *, seed: int = 0, device: str = "cpu",
                   limits: SandboxLimits = SandboxLimits(), hide: Sequence[str | os.PathLike[str]] = ()
                   ) -> Iterator[SandboxedSubmission]:
    """Load the submission at ``path`` in a sandbox and yield its :class:`SandboxedSubmission`.

    Parameters
    ----------
    path : path-like
        The submission file; its folder is visible to it, read-only.
    seed : int, default 0
        Seeds Python's, numpy's and torch's global generators in the sandbox before ``load_model()``.
    device : str, default "cpu"
        Exported as ``NLC_DEVICE``; ``cuda`` also exposes the NVIDIA device nodes.
    limits : SandboxLimits
        Wall clock, memory and process limits (defaults: 1 h, 16 GiB, 256).
    hide : sequence of path-like, default ()
        Folders that must stay invisible (the dataset, the board), covered if they lie in a visible one.

    Raises
    ------
    SubmissionError
        The submission cannot be loaded, or breaks a limit while loading.
    InputError
        bubblewrap is missing or the file does not exist.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise InputError(f"{path}: no such submission file")
    hidden = [Path(h) for h in hide]
    stage = Path(tempfile.mkdtemp(prefix="nlc-sandbox-"))
    try:
        copy = stage / "submission"
        _copy_folder(path.parent, copy, hide=hidden)
        cmd = _bwrap_command(path, copy, device=device, hide=hidden)
        base = _tasks_of(NOBODY if os.getuid() == 0 else os.getuid())
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    stderr: deque[str] = deque(maxlen=40)
    assert proc.stderr is not None
    threading.Thread(target=_drain, args=(proc.stderr, stderr), daemon=True).start()
    sub = SandboxedSubmission(proc, path, limits, stderr)
    try:
        send_message(sub._out, {
            "op": "load", "path": str(path), "seed": int(seed), "memory_mb": int(limits.memory_mb),
            "nproc": int(base + limits.max_processes), "uid": NOBODY if os.getuid() == 0 else None,
        }, deadline=sub._deadline)
    except (TimeoutError, OSError) as exc:
        shutil.rmtree(stage, ignore_errors=True)
        raise sub._failure("start-up", exc) from None
    try:
        sub._handshake()
        yield sub
    finally:
        sub.close()
        shutil.rmtree(stage, ignore_errors=True)
