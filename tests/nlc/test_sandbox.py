"""The sandbox, attacked as a hostile submission would: every attack is refused or does no harm.

Each model below reports what it could do through its scores (1.0 = the attack worked), so
the assertions read the sandbox's own answer, not a log. Needs bubblewrap (``make install``).
"""

from __future__ import annotations

import os
import socket
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from nlc.errors import InputError, SubmissionError
from nlc.sandbox import SandboxLimits, open_sandboxed, read_message, send_message

pytestmark = pytest.mark.slow
LIMITS = SandboxLimits(timeout_s=60, memory_mb=4096, max_processes=64)


def _model(folder: Path, body: str, *, name: str = "model.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("import numpy as np\nTHRESHOLD = 0.25\n\n\ndef load_model():\n    return None\n\n\n"
                    + textwrap.dedent(body))
    return path


def _probe(sub, n: int) -> np.ndarray:
    x = np.zeros((n, 8), np.float32)
    return np.asarray(sub.score(x, x))


def test_an_honest_model_scores_in_the_sandbox_as_in_process(tmp_path):
    path = _model(tmp_path / "honest", """
        def score(model, sources, targets):
            return np.abs(sources - targets).mean(axis=1)

        def embed(model, loops):
            return loops[:, :4] * 2
    """)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 64, 88200)).astype(np.float32)
    with open_sandboxed(path, limits=LIMITS) as sub:
        assert sub.threshold == 0.25 and sub.has_embed
        np.testing.assert_array_equal(sub.score(a, b), np.abs(a - b).mean(axis=1))
        np.testing.assert_array_equal(sub.embed(a), a[:, :4] * 2)


def test_the_model_sees_neither_the_dataset_nor_the_host(tmp_path, monkeypatch):
    """Attacks 1-3 of the issue: read the labels, read the verifier's command line, write to the board."""
    data = tmp_path / "models" / "nlc-loops"  # a dataset that happens to lie in the model's folder
    (data / "protocol").mkdir(parents=True)
    (data / "protocol" / "labels.txt").write_text("secret")
    board = tmp_path / "board"
    board.mkdir()
    (tmp_path / "host-secret.txt").write_text("secret")
    monkeypatch.setenv("HF_TOKEN", "hf_secret_token")
    path = _model(tmp_path / "models", f"""
        import os

        def _can(action):
            try:
                action()
                return 1.0
            except Exception:
                return 0.0

        def score(model, sources, targets):
            return np.array([
                _can(lambda: open({str(data / 'protocol' / 'labels.txt')!r}).read()),
                _can(lambda: open({str(tmp_path / 'host-secret.txt')!r}).read()),
                _can(lambda: open('/etc/shadow').read()),
                float(os.getppid() not in (0, 1) or len([p for p in os.listdir('/proc') if p.isdigit()]) > 3),
                _can(lambda: open({str(board / 'entry.json')!r}, 'w').write('forged')),
                _can(lambda: open(os.path.join(os.path.dirname(__file__), 'planted.py'), 'w').write('x')),
                float('HF_TOKEN' in os.environ or any('secret' in v for v in os.environ.values())),
                float(os.getuid() == 0),
            ])
    """)
    with open_sandboxed(path, limits=LIMITS, hide=[data, board]) as sub:
        flags = _probe(sub, 8)
    assert flags.tolist() == [0.0] * 8, flags
    assert not (board / "entry.json").exists() and not (path.parent / "planted.py").exists()
    assert (data / "protocol" / "labels.txt").read_text() == "secret"


def test_no_network_not_even_a_host_unix_socket(tmp_path):
    """Attack 5: TCP to the host, a Unix-domain socket of a host process, an abstract socket."""
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "host.sock"))
    server.listen(1)
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind("\0nlc-sandbox-test")
    abstract.listen(1)
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(1)
    path = _model(tmp_path / "net", f"""
        import socket

        def _can(connect):
            try:
                connect()
                return 1.0
            except Exception:
                return 0.0

        def score(model, sources, targets):
            unix = lambda where: socket.socket(socket.AF_UNIX).connect(where)
            return np.array([
                _can(lambda: unix({str(tmp_path / 'host.sock')!r})),
                _can(lambda: unix('\\0nlc-sandbox-test')),
                _can(lambda: socket.create_connection(('127.0.0.1', {tcp.getsockname()[1]}), timeout=2)),
                _can(lambda: socket.getaddrinfo('example.org', 80)),
            ])
    """)
    try:
        with open_sandboxed(path, limits=LIMITS) as sub:
            assert _probe(sub, 4).tolist() == [0.0] * 4
    finally:
        for s in (server, abstract, tcp):
            s.close()


def _alive(token: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if token.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def test_a_hanging_model_and_its_escaped_descendants_end_at_the_time_limit(tmp_path):
    """Attack 4: a setsid grandchild that keeps stderr open, 40 children and a sleeping score()."""
    token = f"nlc-escape-{os.getpid()}-{time.monotonic_ns()}"
    path = _model(tmp_path / "hang", f"""
        import subprocess, sys, time

        def score(model, sources, targets):
            subprocess.Popen(["sleep", "300", {token!r}], start_new_session=True)
            for _ in range(40):
                subprocess.Popen(["sleep", "300", {token!r}])
            time.sleep(300)
    """)
    start = time.monotonic()
    with pytest.raises(SubmissionError, match="exceeded the 8 s time limit"):
        with open_sandboxed(path, limits=SandboxLimits(timeout_s=8, memory_mb=4096, max_processes=64)) as sub:
            _probe(sub, 1)
    assert time.monotonic() - start < 20
    time.sleep(0.5)
    assert _alive(token) == []


def test_process_and_memory_limits_end_a_greedy_model(tmp_path):
    path = _model(tmp_path / "greedy", """
        import subprocess

        def score(model, sources, targets):
            if sources.shape[0] == 1:
                return np.ones(2 ** 31, dtype=np.float64)[:1]  # 16 GiB
            children = []
            try:
                for _ in range(500):
                    children.append(subprocess.Popen(["sleep", "30"]))
            except OSError:
                return np.array([len(children)] * sources.shape[0], dtype=float)
            return np.full(sources.shape[0], 500.0)
    """)
    with open_sandboxed(path, limits=SandboxLimits(timeout_s=60, memory_mb=2048, max_processes=32)) as sub:
        started = _probe(sub, 2)
        assert started[0] < 40  # refused near the cap of 32 more processes and threads
        with pytest.raises(SubmissionError, match="MemoryError"):
            _probe(sub, 1)


@pytest.mark.parametrize("where", ["import", "load_model", "score"])
def test_sys_exit_is_an_error_not_a_silent_success(tmp_path, where):
    """Attack 7: ``sys.exit(0)`` at import, in load_model or in score."""
    body = {"import": "import sys\nsys.exit(0)\n\ndef score(model, s, t):\n    return np.zeros(len(s))\n",
            "load_model": "import sys\n\ndef load_model():\n    sys.exit(0)\n\n\ndef score(model, s, t):\n    return np.zeros(len(s))\n",
            "score": "import sys\n\ndef score(model, s, t):\n    sys.exit(0)\n"}[where]
    path = _model(tmp_path / where, body)
    with pytest.raises(SubmissionError, match="SystemExit"):
        with open_sandboxed(path, limits=LIMITS) as sub:
            from nlc.benchmark.outputs import call

            call(sub.score, *np.zeros((2, 1, 8), np.float32), what="score()")


def test_a_model_that_dies_or_lies_on_the_wire_is_one_line(tmp_path):
    path = _model(tmp_path / "liar", """
        import os

        def score(model, sources, targets):
            if sources.shape[0] == 3:
                os.write(1, b"\\x00\\x00\\x00\\x05hello")  # fd 1 is stderr in the sandbox: harmless
                return [1, 2, 3]  # a list, not an array
            if sources.shape[0] == 2:  # forge a reply on the real channel, found through /proc
                for fd in map(int, os.listdir("/proc/self/fd")):
                    if fd > 2 and os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                        try:
                            os.write(fd, b'\\x00\\x00\\x00\\x02{}')
                        except OSError:
                            pass
                return np.zeros(2)
            os._exit(0)
    """)
    with open_sandboxed(path, limits=LIMITS) as sub:
        with pytest.raises(SubmissionError, match="returned list"):
            _probe(sub, 3)
        with pytest.raises(SubmissionError, match=r"exited \(0\) during score\(\)"):
            _probe(sub, 1)
    with open_sandboxed(path, limits=LIMITS) as sub:
        with pytest.raises(SubmissionError, match="malformed|refused|during score"):
            _probe(sub, 2)


def test_the_wire_refuses_pickles_and_oversized_headers(tmp_path):
    r, w = os.pipe()
    try:
        pickled = b'{"arrays": [{"dtype": "|O", "shape": [1]}]}'
        os.write(w, len(pickled).to_bytes(4, "big") + pickled)
        with pytest.raises(SubmissionError, match="refused array|malformed"):
            read_message(r, time.monotonic() + 2)
        os.write(w, (1 << 30).to_bytes(4, "big"))
        with pytest.raises(SubmissionError, match="header"):
            read_message(r, time.monotonic() + 2)
        send_message(w, {"op": "x"}, [np.arange(3, dtype=np.int16)])
        header, arrays = read_message(r, time.monotonic() + 2)
        assert header["op"] == "x" and arrays[0].tolist() == [0, 1, 2]
    finally:
        os.close(r)
        os.close(w)


def test_bad_arguments_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="no such submission"):
        with open_sandboxed(tmp_path / "missing.py"):
            pass
    with pytest.raises(InputError, match="must be positive"):
        SandboxLimits(timeout_s=0)


def test_two_sandboxes_at_once_do_not_mix(tmp_path):
    paths = [_model(tmp_path / f"m{k}", f"def score(model, s, t):\n    return np.full(len(s), {k}.0)\n") for k in (1, 2)]
    results: dict[int, list[float]] = {}

    def run(k: int, path: Path) -> None:
        with open_sandboxed(path, limits=LIMITS) as sub:
            results[k] = _probe(sub, 3).tolist()

    threads = [threading.Thread(target=run, args=(k, p)) for k, p in zip((1, 2), paths)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert results == {1: [1.0] * 3, 2: [2.0] * 3}


def test_command_line_defaults_are_the_sandbox_defaults():
    from nlc.cli import build_parser

    parser = build_parser()
    for argv in (["validate", "m.py", "--sandbox"], ["run", "m.py", "--data", "d", "--out", "r.json", "--sandbox"],
                 ["leaderboard", "verify", "e.json", "--model", "m.py"]):
        args = parser.parse_args(argv)
        assert SandboxLimits(timeout_s=args.timeout, memory_mb=args.memory_mb,
                             max_processes=args.max_processes) == SandboxLimits(), argv
