"""Home page and badge page latency while attackers send the worst verifications they may.

Run: `python bench/bench_attack.py [--seconds 20] [--attackers 4]` (needs Debian's `wrk`; uses
DATABASE_URL when set, else SQLite). It starts the service under gunicorn on 127.0.0.1 with the
README's production options (GUNICORN_CMD_ARGS may add more), then measures `/` and the `/v/`
page of a demo badge with wrk (2 connections, p50 and p99):

1. alone: the reference, measured in the same run;
2. under attack: each attacker client (its own address, through X-Forwarded-For with one
   trusted proxy) posts to `/verify`, at the rate the service allows one client (30 a minute),
   the worst inputs we could build — half a did:web credential whose host sends one byte every
   two seconds (a new path each time, so the failure cache never helps), half a CLR of 24
   tampered credentials whose proofs are all checked (the most signature work one request may
   cost) — and one more client floods `/verify` far past its limit.

The numbers to read are the p99s under attack, and their ratio to the reference.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import load_vector  # noqa: E402  (the official vectors the tests use)

ALLOWED_PER_MINUTE = 30  # issuer.web.public.VERIFY_RATE_LIMIT
_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_REQUESTS = re.compile(r"^\s+(\d+) requests in", re.MULTILINE)
_REFUSED = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_SCALE = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the slow host: headers at once, then one byte every two seconds, for ever -------------------


def slow_host(port: int, stop: threading.Event) -> None:
    listener = socket.create_server(("127.0.0.1", port))
    listener.settimeout(0.5)

    def drip(connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(4096)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
                while not stop.wait(2.0):
                    connection.sendall(b" ")
            except OSError:
                pass

    while not stop.is_set():
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        threading.Thread(target=drip, args=(connection,), daemon=True).start()
    listener.close()


# --- the worst inputs --------------------------------------------------------------------------


def slow_credential(port: int) -> bytes:
    """A credential whose issuer's DID document sits on the slow host, at a path never seen."""
    credential = copy.deepcopy(load_vector("ob-v3p0-ldp", "signed-credential.json"))
    did = f"did:web:127.0.0.1%3A{port}:u:{uuid.uuid4().hex}"
    credential["issuer"]["id"] = did
    credential["proof"]["verificationMethod"] = did + "#key-1"
    return json.dumps(credential).encode()


def heavy_clr() -> bytes:
    """A CLR bundling 24 tampered credentials with two proofs each: every check runs, all fail."""
    signed = load_vector("ob-v3p0-ldp", "signed-credential.json")
    tampered = copy.deepcopy(signed)
    tampered["name"] = "Changed"
    tampered["proof"] = [signed["proof"]] * 2
    clr = copy.deepcopy(load_vector("clr-v2p0-ldp", "signed-credential.json"))
    clr["credentialSubject"]["verifiableCredential"] = [tampered] * 24
    return json.dumps(clr).encode()


def post(base_url: str, body: bytes, client: str) -> int:
    request = urllib.request.Request(base_url + "/verify", data=body, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json",
        "X-Forwarded-For": client})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def attacker(base_url: str, client: str, slow_port: int, stop: threading.Event,
             statuses: list[int]) -> None:
    """One client at its allowed rate; each request in its own thread, as a botnet would."""
    heavy = heavy_clr()
    period = 60.0 / ALLOWED_PER_MINUTE
    turn = 0
    while not stop.is_set():
        body = slow_credential(slow_port) if turn % 2 == 0 else heavy
        threading.Thread(target=lambda b=body: statuses.append(post(base_url, b, client)),
                         daemon=True).start()
        turn += 1
        stop.wait(period)


def flooder(base_url: str, stop: threading.Event, statuses: list[int]) -> None:
    """One client far over its limit: after its 30, every answer should be a quick 429."""
    heavy = heavy_clr()
    while not stop.is_set():
        statuses.append(post(base_url, heavy, "198.51.100.250"))


# --- the service -------------------------------------------------------------------------------


def environment(instance: Path, database_url: str, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKY_", "SMTP_"))}
    env.update({
        "SKY_INSTANCE_PATH": str(instance), "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": base_url, "SECRET_KEY": "bench-secret",
        "SKY_KEY_PASSPHRASE": "bench-passphrase", "SKY_PASSWORD_TIME_COST": "1",
        "SKY_PASSWORD_MEMORY_COST": "64",
        # The slow host is on loopback; in production it would be any public host.
        "SKY_ALLOW_HTTP_LOOPBACK": "1", "SKY_TRUSTED_PROXIES": "1",
    })
    return env


def cli(env: dict[str, str], *arguments: str) -> str:
    return subprocess.run([sys.executable, "-m", "issuer.cli", *arguments], env=env, check=True,
                          capture_output=True, text=True, cwd=ROOT).stdout


def database(instance: Path) -> tuple[str, callable]:
    base = os.environ.get("DATABASE_URL")
    if not base:
        return f"sqlite:///{instance / 'sky.db'}", lambda: None
    from sqlalchemy import create_engine, text

    from issuer.store.db import normalise_url

    schema = f"sky_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))

    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options={quote(f'-csearch_path={schema}')}", drop


def wait_until_up(base_url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base_url + "/", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the service did not start")


# Visitors are many people: each wrk request comes from its own address, so the per-client page
# limit measures nothing here (the attackers are the ones it must hold back).
VISITORS = """
counter = 0
request = function()
  counter = counter + 1
  local high = math.floor(counter / 200) % 200
  wrk.headers["X-Forwarded-For"] = "10." .. (counter % 200) .. "." .. high .. ".1"
  return wrk.format(nil, nil, wrk.headers)
end
"""


def wrk(url: str, seconds: int, script: Path) -> dict:
    out = subprocess.run(["wrk", "-t1", "-c2", f"-d{seconds}s", "--timeout", "30s", "--latency",
                          "-s", str(script), url], capture_output=True, text=True,
                         check=True).stdout
    found = {p: float(v) * _SCALE[u] for p, v, u in _LATENCY.findall(out)}
    requests = int(_REQUESTS.search(out).group(1))
    refused = _REFUSED.search(out)
    return {"p50_ms": found["50"], "p99_ms": found["99"], "requests": requests,
            "errors": int(refused.group(1)) if refused else 0}


def figures(result: dict) -> str:
    if not result["requests"]:
        return "no request answered"
    return (f"p50 {result['p50_ms']:.1f} ms p99 {result['p99_ms']:.1f} ms "
            f"({result['requests']} requests, {result['errors']} not 2xx)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--json", type=Path, help="write the rows there (bench/run.py)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    instance = Path(tempfile.mkdtemp(prefix="sky-attack-"))
    port, slow_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{port}"
    database_url, drop = database(instance)
    env = environment(instance, database_url, base_url)
    script = instance / "visitors.lua"
    script.write_text(VISITORS)
    cli(env, "db", "upgrade")
    printed = cli(env, "demo")
    page = re.search(r"(/v/\S+)", printed).group(1)
    command = [sys.executable, "-m", "gunicorn", "-c", "python:issuer.web.gunicorn_conf",
               "--bind", f"127.0.0.1:{port}", "issuer.web:create_app()"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=(instance / "gunicorn.log").open("w"))
    stop = threading.Event()
    threading.Thread(target=slow_host, args=(slow_port, stop), daemon=True).start()
    try:
        wait_until_up(base_url)
        targets = {"home": base_url + "/", "badge page": base_url + page}
        for url in targets.values():  # every worker process compiles its templates first
            wrk(url, 3, script)
        results = {name: {"alone": wrk(url, args.seconds, script)} for name, url in targets.items()}
        statuses: list[int] = []
        for n in range(args.attackers):
            threading.Thread(target=attacker, daemon=True, args=(
                base_url, f"203.0.113.{n + 1}", slow_port, stop, statuses)).start()
        threading.Thread(target=flooder, args=(base_url, stop, statuses), daemon=True).start()
        time.sleep(12)  # let the slow verifications pile up first
        for name, url in targets.items():
            results[name]["attacked"] = wrk(url, args.seconds, script)
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)
        drop()
    print(f"gunicorn -c python:issuer.web.gunicorn_conf {os.environ.get('GUNICORN_CMD_ARGS', '')}; "
          f"{args.attackers} attackers at {ALLOWED_PER_MINUTE}/min + 1 flooder")
    for name, result in results.items():
        alone, attacked = result["alone"], result["attacked"]
        print(f"{name:>10}: alone {figures(alone)} | attacked {figures(attacked)} | "
              f"p99 ratio {attacked['p99_ms'] / alone['p99_ms']:.1f}"
              if attacked["requests"] and alone["requests"] and alone["p99_ms"] else "")
    counts = {code: statuses.count(code) for code in sorted(set(statuses))}
    print(f"attack answers by status: {counts}")
    if args.json:
        sys.path.insert(0, str(Path(__file__).parent))
        from report import Row, write_json

        write_json(args.json, [
            Row("attack", f"{name} p99 under a /verify attack", result["attacked"]["p99_ms"],
                "ms", f"{name} p99 alone", result["alone"]["p99_ms"],
                result["attacked"]["p99_ms"] / result["alone"]["p99_ms"])
            for name, result in results.items()
            if result["attacked"]["requests"] and result["alone"]["p99_ms"]])


if __name__ == "__main__":
    main()
