"""The verification child process: limits, no network, then one benchmark run.

Run as ``python -m nlc.leaderboard.sandbox --model M --data D --out R.json --memory-mb N ...``
(the other options repeat the submitted run's settings: seed, device, batch size, bootstrap) by :func:`nlc.leaderboard.verify.verify_entry`, never in the caller's process, so that a
submission cannot touch the verifier's memory, and its limits apply to it alone.

Before the submission is imported this process

* caps its address space with ``resource.setrlimit(RLIMIT_AS)`` at ``--memory-mb``
  mebibytes (allocations beyond it fail with MemoryError; note that this limits
  *virtual* memory, which libraries that reserve large address ranges, such as CUDA,
  exceed long before they use that much RAM), and its core dumps to 0 bytes;
* installs a Python audit hook (which cannot be removed) that refuses every
  ``socket.connect``, ``socket.sendto``/``sendmsg`` to an internet address and every
  host name lookup (``socket.getaddrinfo``, ``gethostbyname``...); Unix-domain sockets
  stay allowed, as multiprocessing needs them;
* sets ``HF_HUB_OFFLINE=1``, ``HF_DATASETS_OFFLINE=1``, ``TRANSFORMERS_OFFLINE=1`` and
  points ``http(s)_proxy`` at a closed port, so well-behaved libraries fail fast offline.

The parent adds the strong guarantee when it can: it starts this process inside a new,
empty network namespace (``unshare --net``), where no interface but a down loopback
exists, which also covers native code and child processes the audit hook cannot see.
The wall-clock limit is enforced by the parent.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import sys
from typing import Any

OFFLINE_ENV: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "no_proxy": "",
    "NO_PROXY": "",
}
"""Environment variables set for the child (and by it, again, before any import)."""

_LOOKUP_EVENTS = frozenset({
    "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
    "socket.gethostbyaddr", "socket.getnameinfo",
})
_SEND_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})


class NetworkBlocked(OSError):
    """Raised inside the sandbox when the submission tries to use the network."""


def _network_hook(event: str, args: tuple[Any, ...]) -> None:
    if event in _LOOKUP_EVENTS:
        raise NetworkBlocked(f"network disabled during verification ({event} {args[0]!r})")
    if event in _SEND_EVENTS:
        sock = args[0]
        if getattr(sock, "family", None) != socket.AF_UNIX:
            raise NetworkBlocked(f"network disabled during verification ({event} to {args[1]!r})")


def block_network() -> None:
    """Set the offline environment and install the audit hook (for the rest of the process)."""
    os.environ.update(OFFLINE_ENV)
    sys.addaudithook(_network_hook)


def limit_memory(memory_mb: int) -> None:
    """Cap this process's address space at ``memory_mb`` MiB (RLIMIT_AS; 0: no cap) and disable core dumps."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb > 0:
        limit = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m nlc.leaderboard.sandbox", description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="submission file (.py)")
    p.add_argument("--data", required=True, help="nlc-loops/ folder")
    p.add_argument("--out", required=True, help="result file to write (JSON)")
    p.add_argument("--memory-mb", type=int, required=True, help="address-space limit in MiB (0: none)")
    p.add_argument("--seed", type=int, required=True, help="benchmark seed")
    p.add_argument("--device", required=True, help="device exported to the submission (cpu or cuda)")
    p.add_argument("--batch-size", type=int, required=True, help="pairs (or loops) per call to the submission")
    p.add_argument("--n-resamples", type=int, required=True, help="bootstrap resamples")
    p.add_argument("--confidence", type=float, required=True, help="bootstrap confidence level")
    return p


def run_to_file(args: argparse.Namespace) -> None:
    """One ``nlc-bench run`` with the submitted run's settings; the result file is written last."""
    from nlc.benchmark.results import save_results
    from nlc.benchmark.run import open_protocol, run_benchmark

    results = run_benchmark(
        args.model, open_protocol(args.data), seed=args.seed, device=args.device, batch_size=args.batch_size,
        n_resamples=args.n_resamples, confidence=args.confidence,
    )
    save_results(results, args.out)


def main(argv: list[str] | None = None) -> int:
    """Apply the limits, run the benchmark once, write the result file. Exit 0 on success, 3 on error."""
    args = _parser().parse_args(argv)
    limit_memory(args.memory_mb)
    block_network()
    from nlc.errors import NLCError

    try:
        run_to_file(args)
    except NLCError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 3
    except MemoryError:
        print(f"sandbox: MemoryError: the submission exceeded the {args.memory_mb} MiB memory limit", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
