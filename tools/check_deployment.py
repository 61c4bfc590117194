#!/usr/bin/env python3
"""Follows docs/deployment.md section 9 ("Several nodes on PostgreSQL") on this machine, on
loopback, with the guide's own nginx configuration, and checks that what it promises holds.

    python3 tools/check_deployment.py --bin target/debug/broadsheet \
        --postgres postgres://postgres@127.0.0.1:5432/postgres

Steps, in the guide's order:
  1. a database and a role of its own, the extensions created by a superuser;
  2. a SQLite site (the demo) moved up with `migrate-to`;
  3. one configuration for every node: PostgreSQL, S3 media (moto's server), an SMTP relay
     (tools/smtp_sink.py), the proxy trusted;
  4. two `serve --no-jobs` nodes and two `worker`s;
  5. nginx in front: section 4's server block with section 9's upstream, taken from the guide's
     text, checked with `nginx -t`, then run;
  6. through nginx: pages, /readyz, an upload that lands in the bucket and is served by the
     other node, an unpublish seen by both nodes, a node killed with readers still served;
  7. a backup with pg_dump that pg_restore can read.
It drops its database and role at the end. Exit 0 when every check holds; the first failure
stops it with a message (exit 1). Needs nginx, psql/pg_dump/pg_restore, moto and aiosmtpd.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "deployment.md"


class Failed(Exception):
    pass


def step(text):
    print(f"== {text}", flush=True)


def check(cond, text):
    if not cond:
        raise Failed(text)
    print(f"   ok: {text}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=10):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except (urllib.error.URLError, ConnectionError, socket.timeout) as e:
        return 0, {}, str(e).encode()


def wait_for(what, cond, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.2)
    raise Failed(f"timed out waiting for {what}")


def psql(url, *sql):
    args = ["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-At"]
    for s in sql:
        args += ["-c", s]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def guide_blocks(lang, heading):
    """The ```lang blocks of the guide's section whose heading starts with `heading`."""
    text = GUIDE.read_text()
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else len(text)]
    return re.findall(rf"```{lang}\n(.*?)```", section, re.S)


def nginx_config(prefix, listen, nodes):
    """Section 4's server block and section 9's upstream, as the guide gives them, with only
    the machine-specific parts replaced: the addresses, and plain HTTP on a loopback port
    instead of TLS with certificates this machine does not have."""
    [server4] = guide_blocks("nginx", "4.")
    [upstream9] = guide_blocks("nginx", "9.")
    # The HTTPS server only (the redirecting port-80 one needs no check).
    server = server4.split("\nserver {")[0]
    server = re.sub(r"listen 443 ssl[^;]*;", f"listen 127.0.0.1:{listen};", server)
    server = re.sub(r"^\s*ssl_certificate.*\n", "", server, flags=re.M)
    server = server.replace("proxy_pass http://127.0.0.1:8080;", "proxy_pass http://broadsheet;")
    check("proxy_pass http://broadsheet;" in server, "section 4's server block takes section 9's upstream")
    upstream = upstream9
    guide_nodes = re.findall(r"server (\S+:\d+)", upstream)
    check(len(guide_nodes) == 2, "section 9's upstream names two nodes")
    for ours, theirs in zip(nodes, guide_nodes):
        upstream = upstream.replace(theirs, ours)
    # Section 9: "in the server block: proxy_pass http://broadsheet;" and any extra
    # directives it says the server block needs.
    extra = re.findall(r"^# in the server block: (.*)$", upstream, re.M)
    upstream = re.sub(r"^#.*$", "", upstream, flags=re.M)
    for line in extra:
        for directive in re.findall(r"(\w[^;]*;)", line):
            if directive.startswith("proxy_pass"):
                continue
            server = server.replace("        proxy_http_version 1.1;", f"        proxy_http_version 1.1;\n        {directive}", 1)
    return f"""
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{upstream}
{server}
}}
"""


def png(width=64, height=48):
    """A small RGB PNG, made here so the check needs no image library."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x * 4 % 256, y * 5 % 256, 128))
        for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


class Run:
    def __init__(self, args):
        self.args = args
        self.dir = Path(tempfile.mkdtemp(prefix="broadsheet-deploy-"))
        self.procs = {}
        self.name = f"bs_deploy_{os.getpid()}"
        self.password = secrets.token_hex(12)
        self.db_made = False

    def spawn(self, name, argv, **kw):
        log = open(self.dir / f"{name}.log", "wb")
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, **kw)
        return self.procs[name]

    def bs(self, *argv, stdin=None, config=True):
        base = [self.args.bin] + (["--config", str(self.config)] if config else [])
        r = subprocess.run(base + list(argv), input=stdin, capture_output=True, text=True)
        if r.returncode != 0:
            raise Failed(f"broadsheet {' '.join(argv)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
        return r.stdout

    def cleanup(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if self.db_made:
            try:
                psql(self.args.postgres, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                     f'DROP ROLE IF EXISTS "{self.name}"')
            except subprocess.CalledProcessError as e:
                print(f"cannot drop {self.name}: {e.stderr}", file=sys.stderr)
        if not self.args.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print(f"kept {self.dir}")

    def show_logs(self):
        for name in self.procs:
            text = (self.dir / f"{name}.log").read_text(errors="replace")
            print(f"--- {name}.log (last lines)\n" + "\n".join(text.splitlines()[-15:]), file=sys.stderr)

    def main(self):
        a = self.args
        pg_host = re.sub(r"^postgres(ql)?://[^@]*@", "", a.postgres).split("/")[0]
        db_url = f"postgres://{self.name}:{self.password}@{pg_host}/{self.name}"

        step("1. the database: a role and a database of its own, extensions by a superuser")
        psql(a.postgres, f"CREATE ROLE \"{self.name}\" LOGIN PASSWORD '{self.password}'")
        self.db_made = True
        psql(a.postgres, f'CREATE DATABASE "{self.name}" OWNER "{self.name}"')
        su_db = re.sub(r"/[^/]*$", f"/{self.name}", a.postgres)
        psql(su_db, "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
             "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
        owner = psql(a.postgres, f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{self.name}'").strip()
        extensions = psql(su_db, "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension")
        check(owner == self.name and "pg_trgm" in extensions and "unaccent" in extensions,
              f"database {self.name} owned by {owner}, with pg_trgm and unaccent")

        step("2. moving an existing site up: the demo on SQLite, then migrate-to")
        sqlite_dir = self.dir / "sqlite-site"
        r = subprocess.run([a.bin, "--data", str(sqlite_dir), "demo"], capture_output=True, text=True)
        check(r.returncode == 0, f"a SQLite demo site in {sqlite_dir.name} ({r.stderr.strip()[-200:]})")
        r = subprocess.run([a.bin, "--data", str(sqlite_dir), "migrate-to", db_url],
                           capture_output=True, text=True)
        print("\n".join("   | " + l for l in (r.stdout + r.stderr).strip().splitlines()[-6:]))
        check(r.returncode == 0, "migrate-to copied every table with matching counts and checksums")
        r = subprocess.run([a.bin, "--data", str(sqlite_dir), "migrate-to", db_url],
                           capture_output=True, text=True)
        check(r.returncode != 0 and "not empty" in (r.stdout + r.stderr).lower(),
              "a second migrate-to is refused: the database is not empty")

        step("3. one configuration for every node: PostgreSQL, S3 media, the relay, the proxy")
        moto_port, smtp_port, nginx_port = free_port(), free_port(), free_port()
        self.spawn("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)])
        smtp_dir = self.dir / "smtp"
        smtp_dir.mkdir()
        self.spawn("smtp", [sys.executable, str(ROOT / "tools" / "smtp_sink.py"), "--dir", str(smtp_dir),
                            "--port", str(smtp_port), "--keep"])
        wait_for("moto", lambda: http("GET", f"http://127.0.0.1:{moto_port}/")[0] == 200, 30)
        status, _, body = http("PUT", f"http://127.0.0.1:{moto_port}/news-media")
        check(status == 200, f"a bucket on the S3-compatible server ({status} {body[:100]!r})")
        node_ports = [free_port(), free_port()]
        self.config = self.dir / "broadsheet.toml"

        def config_for(port, data):
            return f"""
listen = "127.0.0.1:{port}"
data = "{data}"
database = "{db_url}"

[postgres]
max_connections = 4
acquire_timeout_secs = 3

[site]
base_url = "http://127.0.0.1:{nginx_port}"

[media.s3]
bucket = "news-media"
endpoint = "http://127.0.0.1:{moto_port}"
region = "us-east-1"
access_key = "deploy-check"
secret_key = "deploy-check"
path_style = true

[mail]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
from = "The Meridian Ledger <news@example.com>"

[proxy]
trusted = ["127.0.0.1"]

[limits]
search_per_second = 1
search_burst = 3
"""
        configs = []
        for i, port in enumerate(node_ports + [free_port(), free_port()]):
            path = self.dir / f"node-{i}.toml"
            path.write_text(config_for(port, self.dir / f"node-{i}"))
            configs.append(path)
        self.config = configs[0]
        print("   four node configurations written (two web nodes, two workers)")

        step("4. two `serve --no-jobs` nodes and two workers")
        env = dict(os.environ, BROADSHEET_LOG="info,sqlx=warn", BROADSHEET_LOG_FORMAT="json")
        for i in range(2):
            self.spawn(f"web-{i}", [a.bin, "--config", str(configs[i]), "serve", "--no-jobs"], env=env)
        for i in range(2):
            self.spawn(f"worker-{i}", [a.bin, "--config", str(configs[2 + i]), "worker"], env=env)
        for port in node_ports:
            wait_for(f"node on {port}", lambda p=port: http("GET", f"http://127.0.0.1:{p}/readyz")[0] == 200, 60)
        check(all(p.poll() is None for p in self.procs.values()), "every process is running")
        logs = "".join((self.dir / f"{n}.log").read_text(errors="replace") for n in self.procs if n.startswith(("web", "worker")))
        check(self.password not in logs, "no database password in the logs")

        step("5. nginx in front, configured from the guide's text")
        prefix = self.dir / "nginx"
        prefix.mkdir()
        conf = prefix / "nginx.conf"
        conf.write_text(nginx_config(prefix, nginx_port, [f"127.0.0.1:{p}" for p in node_ports]))
        r = subprocess.run([a.nginx, "-t", "-p", str(prefix), "-c", str(conf)], capture_output=True, text=True)
        check(r.returncode == 0, f"nginx -t accepts it ({r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ''})")
        self.spawn("nginx", [a.nginx, "-p", str(prefix), "-c", str(conf)])
        site = f"http://127.0.0.1:{nginx_port}"
        wait_for("nginx", lambda: http("GET", site + "/")[0] == 200, 30)

        step("6. through nginx")
        status, headers, body = http("GET", site + "/")
        check(status == 200 and b"<main" in body, "the front page")
        slugs = re.findall(rb'href="(?:http://[^"/]+)?/article/([a-z0-9-]+)"', body)
        check(slugs, "the front page links to stories")
        story = f"/article/{slugs[0].decode()}"
        check(http("GET", site + story)[0] == 200, f"a story ({story})")
        check(http("GET", site + "/readyz")[0] == 200, "/readyz from this machine")
        check(http("GET", site + "/search?q=market", headers={"X-Forwarded-For": "198.51.100.1"})[0] == 200,
              "search")

        self.bs("user", "add", "deploy@example.com", "--role", "editor", "--password-stdin",
                stdin="a long deployment-check password\n")
        key = self.bs("api-key", "add", "deploy-check", "--user", "deploy@example.com").strip().splitlines()[-1].strip()
        auth = {"Authorization": f"Bearer {key}"}
        status, _, body = http("POST", site + "/api/v1/admin/media?alt=A+test+card&photographer=Deploy+Check",
                               body=png(), headers={**auth, "Content-Type": "image/png"})
        check(status == 201, f"an upload through the Admin API ({status} {body[:200]!r})")
        url = json.loads(body)["media"]["url"]
        path = "/" + url.split("/", 3)[3] if url.startswith("http") else url
        listed = http("GET", f"http://127.0.0.1:{moto_port}/news-media")[2]
        check(path.rsplit("/", 1)[-1].encode() in listed, "the upload is in the bucket")
        for port in node_ports:
            status, headers, _ = http("GET", f"http://127.0.0.1:{port}{path}")
            kind = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
            check(status == 200 and kind.startswith("image/"),
                  f"node {port} serves the upload from the bucket ({status} {kind})")

        status, _, body = http("GET", site + f"/api/v1/articles/{slugs[0].decode()}", headers=auth)
        check(status == 200, "the Content API through nginx")
        article_id = json.loads(body)["article"]["id"]
        for port in node_ports:  # both nodes have the page in their cache
            check(http("GET", f"http://127.0.0.1:{port}{story}")[0] == 200, f"node {port} serves {story}")
        status, _, body = http("POST", site + f"/api/v1/admin/articles/{article_id}/unpublish",
                               body=b"{}", headers={**auth, "Content-Type": "application/json"})
        check(status == 200, f"an unpublish through nginx ({status} {body[:200]!r})")
        for port in node_ports:
            wait_for(f"node {port} to drop {story}",
                     lambda p=port: http("GET", f"http://127.0.0.1:{p}{story}")[0] == 404, 10)
            check(http("GET", f"http://127.0.0.1:{port}{story}")[0] == 404, f"node {port} no longer serves it")

        victim = self.procs["web-0"]
        victim.kill()
        victim.wait()
        answers = [http("GET", site + "/")[0] for _ in range(20)]
        check(answers == [200] * 20, f"node A killed: 20 readers in a row still get the front page ({set(answers)})")
        answers = [http("GET", site + "/readyz")[0] for _ in range(4)]
        check(all(s == 200 for s in answers), "/readyz through nginx answers from the node still up")

        # Rate limits per reader, not per proxy (with one node left: limits are kept per node).
        def search_as(reader):
            return http("GET", site + "/search?q=budget", headers={"X-Forwarded-For": reader})[0]
        first = [search_as("203.0.113.1") for _ in range(4)]
        check(first[:3] == [200] * 3 and first[3] == 429, f"a reader searching too fast gets 429 ({first})")
        check(search_as("203.0.113.2") == 200, "another reader behind the same nginx still searches")

        step("7. backups are PostgreSQL's")
        dump = self.dir / "broadsheet.dump"
        subprocess.run(["pg_dump", "--format=custom", "--file", str(dump), su_db], check=True)
        listing = subprocess.run(["pg_restore", "--list", str(dump)], check=True, capture_output=True, text=True).stdout
        check(all(f"TABLE DATA public {t} " in listing for t in ("articles", "send_journal", "search_docs")),
              f"pg_dump wrote {dump.stat().st_size // 1024} KB that pg_restore can read")
        print("deployment guide section 9: every check held")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", default=str(ROOT / "target" / "debug" / "broadsheet"))
    p.add_argument("--postgres", default=os.environ.get("BROADSHEET_DEPLOY_POSTGRES",
                                                         "postgres://postgres@127.0.0.1:5432/postgres"))
    p.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args()
    run = Run(args)
    try:
        run.main()
        return 0
    except (Failed, subprocess.CalledProcessError, KeyError, ValueError) as e:
        detail = getattr(e, "stderr", None) or ""
        print(f"FAILED: {e} {detail}", file=sys.stderr)
        run.show_logs()
        return 1
    finally:
        run.cleanup()


if __name__ == "__main__":
    sys.exit(main())
