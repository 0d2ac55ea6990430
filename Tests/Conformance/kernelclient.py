"""Small helpers over jupyter_client for the conformance tests: start a kernel, run a cell and collect
everything it published, and speak the raw wire (for signatures and malformed frames)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from queue import Empty
from typing import Any, Iterator

import zmq
from jupyter_client.manager import KernelManager
from jupyter_kernel_test.msgspec_v5 import validate_message

KERNEL_NAME = "fovea"
STARTUP_TIMEOUT = 60
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


@contextlib.contextmanager
def running_kernel(
    kernel_name: str = KERNEL_NAME, start: dict[str, Any] | None = None, **km_kwargs: Any
) -> Iterator[tuple[KernelManager, Any]]:
    """Starts a kernel from its kernelspec, yields (manager, ready blocking client), shuts it down after.
    `start` goes to start_kernel (cwd, stdout/stderr, env); the rest configures the KernelManager."""
    km = KernelManager(kernel_name=kernel_name, **km_kwargs)
    km.start_kernel(**(start or {}))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        yield km, kc
    finally:
        kc.stop_channels()
        if km.has_kernel:
            km.shutdown_kernel(now=not km.is_alive())


@dataclass
class Run:
    """Everything one request produced: its reply and the IOPub messages parented to it, in order."""

    reply: dict[str, Any]
    iopub: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    @property
    def why(self) -> str:
        """The error of a failed request, for assertion messages."""
        c = self.reply["content"]
        return f"{c.get('ename')}: {c.get('evalue')}" if c.get("status") == "error" else str(c.get("status"))

    def of_type(self, msg_type: str) -> list[dict[str, Any]]:
        return [m for m in self.iopub if m["msg_type"] == msg_type]

    @property
    def outputs(self) -> list[dict[str, Any]]:
        """IOPub messages other than status and execute_input."""
        return [m for m in self.iopub if m["msg_type"] not in ("status", "execute_input")]

    @property
    def result_text(self) -> str | None:
        results = self.of_type("execute_result")
        return results[-1]["content"]["data"]["text/plain"] if results else None

    @property
    def stdout(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == "stdout")

    @property
    def stderr(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == "stderr")

    @property
    def error(self) -> dict[str, Any] | None:
        errors = self.of_type("error")
        return errors[-1]["content"] if errors else None


def validate(msg: dict[str, Any], msg_type: str | None = None, parent_id: str | None = None) -> None:
    """jupyter_kernel_test's schema check, except for the spec's `aborted` status that it rejects
    (it only knows the pre-5.1 spelling `abort`); those replies are checked by hand in the tests."""
    if msg.get("content", {}).get("status") == "aborted":
        assert msg["msg_type"] == (msg_type or msg["msg_type"])
        return
    if msg["msg_type"] == "iopub_welcome":  # no schema in jupyter_kernel_test
        assert msg["content"].get("subscription") == ""
        return
    validate_message(msg, msg_type, parent_id)


def collect_iopub(kc: Any, parent_id: str, timeout: float = 30) -> list[dict[str, Any]]:
    """IOPub messages parented to `parent_id`, up to and including its `status: idle`."""
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no idle status for {parent_id} within {timeout} s; got {found}")
        try:
            msg = kc.get_iopub_msg(timeout=remaining)
        except Empty:
            continue
        if msg["parent_header"].get("msg_id") != parent_id:
            continue
        validate(msg)
        found.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return found


def _reply(get: Any, channel: str, msg_id: str, timeout: float) -> dict[str, Any]:
    """The reply to `msg_id` read with `get` (skipping replies to other requests) within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no {channel} reply to {msg_id} within {timeout} s")
        try:
            msg = get(timeout=remaining)
        except Empty:
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def shell_reply(kc: Any, msg_id: str, timeout: float = 30) -> dict[str, Any]:
    return _reply(kc.get_shell_msg, "shell", msg_id, timeout)


def control_reply(kc: Any, msg_id: str, timeout: float = 30) -> dict[str, Any]:
    return _reply(kc.get_control_msg, "control", msg_id, timeout)


def execute(kc: Any, code: str, timeout: float = 30, **kwargs: Any) -> Run:
    """Sends one execute_request and returns its validated reply and IOPub messages."""
    msg_id = kc.execute(code, **kwargs)
    reply = shell_reply(kc, msg_id, timeout)
    validate(reply, "execute_reply", msg_id)
    return Run(reply, collect_iopub(kc, msg_id, timeout))


def request(kc: Any, msg_type: str, content: dict[str, Any], channel: str = "shell", timeout: float = 30) -> Run:
    """Sends any request on shell or control and returns its reply and IOPub messages."""
    msg = kc.session.msg(msg_type, content)
    getattr(kc, f"{channel}_channel").send(msg)
    msg_id = msg["header"]["msg_id"]
    reply = (shell_reply if channel == "shell" else control_reply)(kc, msg_id, timeout)
    return Run(reply, collect_iopub(kc, msg_id, timeout))


# ---- raw wire ---------------------------------------------------------------------------------------------

DELIM = b"<IDS|MSG>"


def header(msg_type: str, session: str = "raw-client") -> dict[str, Any]:
    return {
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "username": "test",
        "session": session,
        "date": "2026-01-01T00:00:00.000000Z",
        "version": "5.3",
    }


def sign(key: bytes, parts: list[bytes]) -> bytes:
    if not key:
        return b""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for p in parts:
        mac.update(p)
    return mac.hexdigest().encode()


def frames(key: bytes, msg_type: str, content: dict[str, Any], hdr: dict[str, Any] | None = None) -> list[bytes]:
    """A complete, signed multipart message (without routing identities) for a DEALER socket."""
    hdr = hdr or header(msg_type)
    parts = [json.dumps(x).encode() for x in (hdr, {}, {}, content)]
    return [DELIM, sign(key, parts), *parts]


def connection_url(info: dict[str, Any], channel: str) -> str:
    port = info[f"{channel}_port"]
    if info["transport"] == "ipc":
        return f"ipc://{info['ip']}-{port}"
    return f"tcp://{info['ip']}:{port}"


def recv_frames(sock: zmq.Socket, timeout: float) -> list[bytes] | None:
    if sock.poll(int(timeout * 1000)):
        return sock.recv_multipart()
    return None


def parse_reply(parts: list[bytes]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(header, parent_header, content) of a raw reply received on a DEALER socket."""
    i = parts.index(DELIM)
    hdr, parent, _metadata, content = (json.loads(p) for p in parts[i + 2 : i + 6])
    return hdr, parent, content
