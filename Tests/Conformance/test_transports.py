"""Transports and encryption: ipc, CurveZMQ provisioned by jupyter_client, and clients without the key."""

from __future__ import annotations

import json
import os
import tempfile

import zmq

from kernelclient import connection_url, execute, frames, parse_reply, recv_frames, running_kernel


def test_ipc_transport():
    with tempfile.TemporaryDirectory(prefix="fovea-ipc-") as tmp:
        with running_kernel(transport="ipc", ip=os.path.join(tmp, "kernel")) as (km, kc):
            info = km.get_connection_info()
            assert info["transport"] == "ipc"
            assert os.path.exists(f"{info['ip']}-{info['shell_port']}")
            assert execute(kc, "6*7").result_text == "42"
            assert kc.is_alive()


def _raw_kernel_info(info: dict, key: bytes, **curve: bytes) -> list[bytes] | None:
    """Sends a correctly signed kernel_info_request on a fresh DEALER and waits 2 s for any answer."""
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    for name, value in curve.items():
        setattr(sock, name, value)
    sock.connect(connection_url(info, "shell"))
    try:
        sock.send_multipart(frames(key, "kernel_info_request", {}))
        return recv_frames(sock, 2)
    finally:
        sock.close()


def test_curvezmq_with_keys_provisioned_by_jupyter_client():
    assert zmq.has("curve")
    # The installed kernelspec itself declares `metadata.supported_encryption: ["curve"]`, so jupyter_client
    # provisions keys for it (transport_encryption="required" refuses kernelspecs that do not).
    with running_kernel("fovea", transport_encryption="required") as (km, kc):
        with open(km.connection_file) as f:
            on_disk = json.load(f)
        assert on_disk.get("curve_publickey") and on_disk.get("curve_secretkey")
        assert kc.curve_publickey is not None

        # The provisioned client talks over every channel.
        assert execute(kc, "6*7").result_text == "42"
        assert kc.hb_channel.is_beating()
        info = km.get_connection_info()
        key = km.session.key
        server_public = on_disk["curve_publickey"].encode()

        # Control: a client with the right server key and its own key pair is served.
        public, secret = zmq.curve_keypair()
        answer = _raw_kernel_info(info, key, curve_serverkey=server_public, curve_publickey=public, curve_secretkey=secret)
        assert answer is not None and parse_reply(answer)[0]["msg_type"] == "kernel_info_reply"

        # A client that expects another server key, or speaks plain ZMTP, gets nothing.
        wrong_server, _ = zmq.curve_keypair()
        public, secret = zmq.curve_keypair()
        assert _raw_kernel_info(info, key, curve_serverkey=wrong_server, curve_publickey=public, curve_secretkey=secret) is None
        assert _raw_kernel_info(info, key) is None

        # And the kernel still serves its real client afterwards.
        assert execute(kc, "1 + 1").result_text == "2"
