"""Security checks of issue 8 that need a running kernel: where it listens, what it logs, where paths resolve."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import zmq

from kernelclient import connection_url, execute, frames, recv_frames, running_kernel

SKIMAGE_DATA = Path("/usr/lib/python3/dist-packages/skimage/data")


def _listening_addresses(pid: int) -> set[tuple[str, int]]:
    """(ip, port) of every TCP socket in LISTEN state owned by process `pid` (Linux /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        with open(f"/proc/{pid}/net/{table}") as f:
            next(f)
            for row in f:
                cols = row.split()
                local, state, inode = cols[1], cols[3], cols[9]
                if state != "0A" or inode not in inodes:  # 0A = LISTEN
                    continue
                hex_ip, hex_port = local.split(":")
                raw = bytes.fromhex(hex_ip)
                if family == socket.AF_INET:
                    ip = socket.inet_ntop(family, raw[::-1])
                else:
                    ip = socket.inet_ntop(family, b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4)))
                found.add((ip, int(hex_port, 16)))
    return found


def test_sockets_bind_only_to_the_connection_file_ip():
    with running_kernel() as (km, kc):
        info = km.get_connection_info()
        pid = km.provisioner.process.pid
        listening = _listening_addresses(pid)
        expected = {(info["ip"], info[f"{c}_port"]) for c in ("shell", "iopub", "stdin", "control", "hb")}
        assert listening == expected


def test_the_key_never_appears_in_the_kernel_log(tmp_path):
    log = tmp_path / "kernel.log"
    with open(log, "w") as sink:
        with running_kernel(start={"stdout": sink, "stderr": sink}) as (km, kc):
            key = km.session.key
            sock = zmq.Context.instance().socket(zmq.DEALER)
            sock.linger = 0
            sock.connect(connection_url(km.get_connection_info(), "shell"))
            try:
                for parts in (
                    frames(b"wrong-" + key, "execute_request", {"code": "1"}),
                    frames(key, "execute_request", {"code": "1"})[:3],
                    [b"<IDS|MSG>", b"0" * 64, b"{not json", b"{}", b"{}", b"{}"],
                ):
                    sock.send_multipart(parts)
                assert recv_frames(sock, 1.0) is None
            finally:
                sock.close()
            assert execute(kc, "1 + 1").result_text == "2"
    text = log.read_bytes()
    assert text.strip(), "the kernel logged nothing about three dropped messages"
    assert key not in text
    assert key.hex().encode() not in text


def test_paths_resolve_against_the_kernel_working_directory():
    with tempfile.TemporaryDirectory(prefix="fovea-cwd-") as cwd:
        shutil.copy(SKIMAGE_DATA / "chelsea.png", Path(cwd) / "local.png")
        with running_kernel(start={"cwd": cwd}) as (km, kc):
            run = execute(kc, 'img = image("local.png")\nsave(img, "copy.png")\nimg')
            assert run.status == "ok", run.why
            assert (Path(cwd) / "copy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert not Path("copy.png").exists()
