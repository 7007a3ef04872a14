import subprocess
import sys

import pytest

from nlc.leaderboard.verify import NETNS_PREFIX, _run_child, netns_available


def _child(code: str, *, prefix=()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


GUARD = "from nlc.leaderboard.sandbox import block_network, limit_memory\n"


@pytest.mark.parametrize("attempt", [
    "import socket; socket.create_connection(('127.0.0.1', 9), timeout=1)",
    "import socket; socket.getaddrinfo('example.org', 443)",
    "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', 9))",
    "import urllib.request; urllib.request.urlopen('http://example.org', timeout=1)",
    "import socket, _socket; socket.socket.connect = _socket.socket.connect; socket.create_connection(('127.0.0.1', 9))",
])
def test_network_guard_refuses_internet_sockets(attempt):
    proc = _child(GUARD + "block_network()\n" + attempt)
    assert proc.returncode != 0 and "network disabled during verification" in proc.stderr


def test_network_guard_keeps_unix_sockets_and_offline_env(tmp_path):
    code = GUARD + (
        "import os, socket\nblock_network()\n"
        f"srv = socket.socket(socket.AF_UNIX); srv.bind({str(tmp_path / 's')!r}); srv.listen(1)\n"
        f"cli = socket.socket(socket.AF_UNIX); cli.connect({str(tmp_path / 's')!r})\n"
        "print(os.environ['HF_HUB_OFFLINE'], os.environ['HF_DATASETS_OFFLINE'])"
    )
    proc = _child(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "1"]


def test_memory_limit_stops_big_allocations():
    proc = _child(GUARD + "limit_memory(400)\nbuf = bytearray(800 * 2**20)\nprint('allocated')")
    assert proc.returncode != 0 and "MemoryError" in proc.stderr and "allocated" not in proc.stdout
    proc = _child(GUARD + "limit_memory(400)\nbuf = bytearray(50 * 2**20)\nprint('allocated')")
    assert proc.returncode == 0 and "allocated" in proc.stdout


@pytest.mark.skipif(not netns_available(), reason="unshare --net is not permitted here")
def test_network_namespace_has_no_route_even_without_the_guard():
    proc = _child("import socket; s = socket.socket(); s.settimeout(2); print(s.connect_ex(('1.1.1.1', 80)))",
                  prefix=NETNS_PREFIX)
    assert proc.returncode == 0 and int(proc.stdout) != 0  # ENETUNREACH: no interface is up


def test_time_limit_kills_the_whole_process_group(tmp_path):
    code = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    rc, _, wall = _run_child([sys.executable, "-c", code], timeout_s=1.0, cwd=tmp_path)
    assert rc is None and wall < 10
