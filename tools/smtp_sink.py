#!/usr/bin/env python3
"""A real SMTP server on loopback for Broadsheet's tests and benchmarks (aiosmtpd).

Every accepted message is appended to DIR/received.jsonl as one JSON line
({"rcpt", "message_id", "subject", "bytes"}) and, with --keep, written to DIR/N.eml. Every
message whose data has arrived is first appended to DIR/started.jsonl ({"rcpt"}).
Recipients steer the answers, so tests can exercise every path of the sender:

  temp-*@...   451 on the first attempt for that address, then accepted
  perm-*@...   550 (permanent failure) every time
  slow-*@...   accepted after --slow-ms milliseconds

Prints "READY <port>" on stdout once listening. Stops on SIGTERM or SIGINT.
"""
import argparse
import asyncio
import email
import email.parser
import email.policy
import json
import os
import signal
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, out_dir, keep, slow_ms, delay_ms):
        self.out_dir = out_dir
        self.keep = keep
        self.slow = slow_ms / 1000.0
        self.delay = delay_ms / 1000.0
        self.seen_temp = set()
        self.count = 0
        self.log = open(os.path.join(out_dir, "received.jsonl"), "a", buffering=1)
        # One line per message whose DATA has arrived, before any delay: a test can tell a
        # message in progress (started, not yet accepted) from one accepted.
        self.started = open(os.path.join(out_dir, "started.jsonl"), "a", buffering=1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("perm-"):
            return "550 5.1.1 No such user here"
        if local.startswith("temp-") and address not in self.seen_temp:
            self.seen_temp.add(address)
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            self.started.write(json.dumps({"rcpt": rcpt}) + "\n")
        # A client that goes away before the answer cancels this handler (aiosmtpd), so a
        # message cut off during the delay is never recorded as accepted.
        if any(r.split("@")[0].lower().startswith("slow-") for r in envelope.rcpt_tos):
            await asyncio.sleep(self.slow)
        if self.delay:
            await asyncio.sleep(self.delay)
        # Headers only: the sink must cost little next to the sender it measures.
        msg = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(envelope.content)
        for rcpt in envelope.rcpt_tos:
            self.count += 1
            self.log.write(json.dumps({
                "rcpt": rcpt,
                "message_id": msg.get("Message-ID", ""),
                "subject": str(msg.get("Subject", "")),
                "bytes": len(envelope.content),
            }) + "\n")
            if self.keep:
                with open(os.path.join(self.out_dir, f"{self.count}.eml"), "wb") as f:
                    f.write(envelope.content)
        return "250 Message accepted"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--slow-ms", type=int, default=2000)
    p.add_argument("--delay-ms", type=int, default=0, help="delay every message")
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    handler = Handler(a.dir, a.keep, a.slow_ms, a.delay_ms)
    port = a.port
    if port == 0:
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            data_size_limit=10 * 1024 * 1024)
    controller.start()
    print(f"READY {port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
    signal.signal(signal.SIGINT, lambda *_: (controller.stop(), sys.exit(0)))
    signal.pause()


if __name__ == "__main__":
    main()
