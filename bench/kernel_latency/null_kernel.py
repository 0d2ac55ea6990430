"""A do-nothing kernel in plain pyzmq: the floor of what jupyter_client itself costs.

It answers kernel_info_request and execute_request (busy, execute_input, reply, idle) and nothing else, with
no interpreter behind it, so its round trip is the client's and ZeroMQ's share of any kernel's figures.
Started by bench.py from a temporary kernelspec: `python null_kernel.py -f CONNECTION_FILE`.
"""

from __future__ import annotations

import json
import sys

import zmq
from jupyter_client.session import Session


def main() -> None:
    with open(sys.argv[sys.argv.index("-f") + 1]) as f:
        info = json.load(f)
    session = Session(key=info["key"].encode(), signature_scheme=info["signature_scheme"])
    ctx = zmq.Context()

    def bind(kind: int, channel: str) -> zmq.Socket:
        s = ctx.socket(kind)
        s.bind(f"{info['transport']}://{info['ip']}:{info[channel + '_port']}")
        return s

    shell, control = bind(zmq.ROUTER, "shell"), bind(zmq.ROUTER, "control")
    iopub, hb, _stdin = bind(zmq.PUB, "iopub"), bind(zmq.REP, "hb"), bind(zmq.ROUTER, "stdin")
    poller = zmq.Poller()
    for s in (shell, control, hb):
        poller.register(s, zmq.POLLIN)
    count = 0
    language = {"name": "null", "version": "0", "mimetype": "text/plain", "file_extension": ".txt"}
    while True:
        for sock, _ in poller.poll():
            if sock is hb:
                hb.send(hb.recv())
                continue
            idents, msg = session.feed_identities(sock.recv_multipart())
            msg = session.deserialize(msg)
            kind = msg["header"]["msg_type"]
            session.send(iopub, "status", {"execution_state": "busy"}, parent=msg)
            if kind == "kernel_info_request":
                session.send(sock, "kernel_info_reply", {
                    "status": "ok", "protocol_version": "5.3", "implementation": "null",
                    "implementation_version": "0", "language_info": language, "banner": ""}, parent=msg, ident=idents)
            elif kind == "execute_request":
                count += 1
                session.send(iopub, "execute_input", {"code": msg["content"]["code"], "execution_count": count}, parent=msg)
                session.send(sock, "execute_reply", {"status": "ok", "execution_count": count,
                                                     "user_expressions": {}, "payload": []}, parent=msg, ident=idents)
            elif kind == "shutdown_request":
                session.send(sock, "shutdown_reply", {"status": "ok", "restart": False}, parent=msg, ident=idents)
                session.send(iopub, "status", {"execution_state": "idle"}, parent=msg)
                return
            session.send(iopub, "status", {"execution_state": "idle"}, parent=msg)


if __name__ == "__main__":
    main()
