#!/usr/bin/env python3
"""The reference for bench/newsletter.sh: a raw SMTP client that sends COUNT messages of SIZE
bytes over CONNECTIONS persistent connections into the sink, as fast as the sink takes them.
Prints "<messages per second> msg/s (<count> in <seconds> s)"."""
import argparse
import smtplib
import threading
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--size", type=int, default=9000)
    a = p.parse_args()
    line = "x" * 76 + "\r\n"
    body = ("Subject: reference\r\nFrom: news@example.com\r\n\r\n" + line * (a.size // len(line))).encode()
    per = [a.count // a.connections + (1 if i < a.count % a.connections else 0) for i in range(a.connections)]

    def worker(k, m):
        s = smtplib.SMTP("127.0.0.1", a.port)
        for i in range(m):
            s.sendmail("news@example.com", [f"ref-{k}-{i}@example.com"], body)
        s.quit()

    start = time.time()
    threads = [threading.Thread(target=worker, args=(k, m)) for k, m in enumerate(per)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.time() - start
    print(f"{a.count / secs:.0f} msg/s ({a.count} in {secs:.1f} s)")


if __name__ == "__main__":
    main()
