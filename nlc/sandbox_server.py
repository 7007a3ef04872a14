"""The sandboxed side of :mod:`nlc.sandbox`: load one submission, then answer score and embed calls.

Started by :func:`nlc.sandbox.open_sandboxed` as ``python -I -m nlc.sandbox_server`` inside
bubblewrap. The pipe to the parent is this process's stdin and stdout; before anything else
they are moved to private descriptors, and the submission's own prints go to stderr. Then,
in order: the parent's ``load`` message is read; started by root, the process drops to user
``nobody`` for good; the limits are applied (address space, processes, no core dumps); the
global generators are seeded; the submission is imported and ``load_model()`` called. Every
exception of the submission, ``SystemExit`` included, is answered as a one-line error; the
process ends when the parent says ``exit`` or closes the pipe.
"""

from __future__ import annotations

import os
import resource
import sys
from typing import Any

import numpy as np

from nlc.errors import InputError, SubmissionError
from nlc.sandbox import read_message, send_message as _send


def _error(exc: BaseException) -> dict[str, Any]:
    lines = str(exc).strip().splitlines()
    return {"ok": False, "type": type(exc).__name__, "message": lines[0][:300] if lines else ""}


def _apply_limits(request: dict[str, Any]) -> None:
    uid = request.get("uid")
    if uid is not None:  # started by root: become nobody, for good, before any foreign code runs
        os.setgroups([])
        os.setgid(int(uid))
        os.setuid(int(uid))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nproc = int(request["nproc"])
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    memory_mb = int(request["memory_mb"])
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main() -> int:
    """Serve one submission over stdin/stdout; returns the exit status."""
    into, out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # the submission's prints go to stderr, never into the pipe
    sys.stdout = sys.stderr
    request, _ = read_message(into)
    _apply_limits(request)

    from nlc.protocol import load_submission, seed_everything, to_numpy

    try:
        seed_everything(int(request["seed"]))
        sub = load_submission(request["path"])
    except BaseException as exc:  # SystemExit and MemoryError too: the parent gets one line
        _send(out, {"ok": False, "type": type(exc).__name__, "message": str(exc).strip()[:400]})
        return 3
    _send(out, {"ok": True, "threshold": sub.threshold, "has_embed": sub.has_embed})
    while True:
        try:
            header, arrays = read_message(into)
        except EOFError:
            return 0
        if header.get("op") == "exit":
            return 0
        try:
            if header.get("op") == "score":
                value = sub.score(arrays[0], arrays[1])
            elif header.get("op") == "embed" and sub.has_embed:
                value = sub.embed(arrays[0])
            else:
                raise InputError(f"unknown request {header.get('op')!r}")
        except BaseException as exc:  # noqa: BLE001 - any failure of the submission is answered, never fatal here
            _send(out, _error(exc))
            continue
        try:
            result = to_numpy(value, what=f"{header['op']}()")
        except SubmissionError as exc:  # a list, a string...: the protocol is broken, not the code
            _send(out, {"ok": False, "protocol": True, "message": str(exc)[:300]})
            continue
        _send(out, {"ok": True}, [result])


if __name__ == "__main__":
    sys.exit(main())
