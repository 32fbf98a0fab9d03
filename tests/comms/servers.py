"""Real servers on 127.0.0.1 for delivery tests: an SMTP sink (aiosmtpd) and an HTTP JSON sink (http.server).

Both can be told to go away after N messages, the way a provider dies
mid-batch: the SMTP sink stops listening and refuses further messages on the
open connection; the HTTP sink closes its socket. A new sink started on the
same port with the same `received` list is the server coming back.
"""

import asyncio
import email
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """Counts what it receives by Message-ID (`received`), keeps each message's bytes (`contents`) and
    envelope sender and recipients (`envelopes`).

    `accept=N` stops listening after N messages.
    """

    def __init__(self, *, port=None, accept=None, received=None, gate=None):
        self.port = port or free_port()
        self.accept = accept
        self.received = [] if received is None else received
        self.contents = []
        self.envelopes = []
        self.sessions = 0
        self.gate = gate  # a threading.Event: each message waits for it, after setting `entered`
        self.entered = threading.Event()
        self.controller = None

    def __enter__(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=30)
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def full(self):
        return self.accept is not None and len(self.received) >= self.accept

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.sessions += 1
        return responses

    async def handle_DATA(self, server, session, envelope):
        if self.full:
            return "421 4.3.2 Service shutting down"
        if self.gate is not None:
            self.entered.set()
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 10)
        self.received.append(email.message_from_bytes(envelope.content)["Message-ID"])
        self.contents.append(envelope.content)
        self.envelopes.append((envelope.mail_from, envelope.rcpt_tos))
        if self.full:
            # Stop listening: the next connection is refused, the open one is told to go away.
            self.controller.server.close()
        return "250 2.0.0 OK"


class HttpSink:
    """Records JSON POSTs; answers with `respond(payload) -> (status, body)`; closes after `budget` requests."""

    def __init__(self, *, port=None, budget=None, received=None, respond=None, gate=None):
        self.port = port or free_port()
        self.budget = budget
        self.received = [] if received is None else received
        self.respond = respond or (lambda payload: (200, {"id": f"prov-{len(self.received)}"}))
        self.gate = gate
        self.stopping = False

    def __enter__(self):
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if sink.gate is not None:
                    sink.gate.wait(10)
                sink.received.append({"headers": dict(self.headers), "json": payload, "path": self.path})
                status, body = sink.respond(payload)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        self.server.timeout = 0.05
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/send"

    def _serve(self):
        handled = 0
        while not self.stopping and (self.budget is None or handled < self.budget):
            before = len(self.received)
            self.server.handle_request()
            handled += len(self.received) - before
        self.server.server_close()

    def __exit__(self, *exc):
        self.stopping = True
        if self.gate is not None:
            self.gate.set()
        self.thread.join(5)
