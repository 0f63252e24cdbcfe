"""The README's reverse proxy in front of webhook workers (issue 15: a fresh clone runs three
webhook workers and one scheduler behind it): nginx with deploy/nginx-zhaolu.conf, only its
certificate (a self-signed one made here), its listening address and its upstream ports changed,
in front of three real `zhaolu run` webhook workers on one PostgreSQL and Redis, the first
scheduling, the others with --no-scheduler. The loopback Bot API of the tests delivers to the
public HTTPS URL and trusts that certificate, as Telegram trusts a real one.

Reported: each worker's /readyz (ready, and the same scheduler holder named by all), the
replies to USERS users' /start sent through the proxy and how the workers shared them, a POST
without the webhook secret (401 through the proxy), LATER updates arriving at RATE/s while one
worker is stopped with SIGTERM (it answers 503 while it finishes; nginx passes those POSTs to the
others: none lost, none answered twice), the exit codes after SIGTERM and the ERROR lines.
Needs nginx and openssl on PATH, ZHAOLU_BENCH_DATABASE_URL and ZHAOLU_BENCH_REDIS_URL; skipped
without them. nginx runs in the foreground as this user, with its files in a temporary
directory: no root and nothing installed.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "nginx-zhaolu.conf"
USERS = 30
SECRET = "bench-proxy-secret"
WORKERS = 3
LATER, RATE = 90, 30.0  # updates sent while one worker stops, and how many a second
DEPLOYED_PORTS = (8081, 8082, 8083)  # the workers' ports in deploy/nginx-zhaolu.conf
FIRST_USER = 950_000


def _certificate(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(  # noqa: S603 - openssl with our own arguments
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True)
    return cert, key


def _site(cert: Path, key: Path, listen: int, ports: list[int]) -> str:
    """deploy/nginx-zhaolu.conf with the certificate, the address and the upstreams changed;
    each change must find its line, so a changed deploy file fails here instead of passing."""
    text = DEPLOY.read_text(encoding="utf-8")
    changes = [("/etc/letsencrypt/live/bot.example.org/fullchain.pem", str(cert)),
               ("/etc/letsencrypt/live/bot.example.org/privkey.pem", str(key)),
               ("listen 443 ssl;", f"listen 127.0.0.1:{listen} ssl;"),
               *((f"127.0.0.1:{deployed}", f"127.0.0.1:{port}")
                 for deployed, port in zip(DEPLOYED_PORTS, ports, strict=True))]
    for old, new in changes:
        if old not in text:
            raise RuntimeError(f"{DEPLOY.name} no longer has {old!r}")
        text = text.replace(old, new)
    return text


def _nginx_conf(tmp: Path, site: str) -> Path:
    (tmp / "site.conf").write_text(site, encoding="utf-8")
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"pid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n    access_log {tmp}/access.log;\n"
        + "".join(f"    {kind}_temp_path {tmp}/{kind};\n"
                  for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"    include {tmp}/site.conf;\n}}\n", encoding="utf-8")
    return conf


def main() -> None:
    database = os.environ.get("ZHAOLU_BENCH_DATABASE_URL")
    redis = os.environ.get("ZHAOLU_BENCH_REDIS_URL")
    missing = [tool for tool in ("nginx", "openssl") if shutil.which(tool) is None]
    if not database or not redis or missing:
        why = f"{' and '.join(missing)} not on PATH" if missing else (
            "set ZHAOLU_BENCH_DATABASE_URL and ZHAOLU_BENCH_REDIS_URL")
        print(f"proxy: skipped ({why})")
        return
    with tempfile.TemporaryDirectory(prefix="zl-proxy-") as name:
        tmp = Path(name)
        cert, key = _certificate(tmp)
        # aiohttp builds its verifying SSL context when imported: trust the certificate first.
        os.environ["SSL_CERT_FILE"] = str(cert)
        asyncio.run(_run(tmp, cert, key, database, redis))


async def _run(tmp: Path, cert: Path, key: Path, database: str, redis: str) -> None:
    import ssl

    from aiohttp import ClientError, ClientSession

    from bench.deadline import Watched, Worker, worker_env
    from bench.workers import _reset, forget_keys, replies_per_user
    from tests.worker_process import free_port

    await _reset(database)
    listen, ports = free_port(), [free_port() for _ in range(WORKERS)]
    conf = _nginx_conf(tmp, _site(cert, key, listen, ports))
    nginx = subprocess.Popen(  # noqa: S603 - nginx with our own configuration
        ["nginx", "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{listen}/tg/webhook"
    prefix = f"zlproxy{os.getpid()}"
    workers: list[Worker] = []
    try:
        async with Watched(latency=0.1, retry_pause=1.0) as api, ClientSession() as http:
            for number, port in enumerate(ports):
                env = worker_env(api.base_url, tmp / "var", ZHAOLU_DATABASE_URL=database,
                                 ZHAOLU_REDIS_URL=redis, ZHAOLU_REDIS_PREFIX=prefix,
                                 ZHAOLU_SECRET_KEY="bench key, long enough for the vault",
                                 ZHAOLU_WEBHOOK_URL=url, ZHAOLU_WEBHOOK_SECRET=SECRET,
                                 ZHAOLU_HTTP_PORT=str(port))
                worker = Worker([] if number == 0 else ["--no-scheduler"], env,
                                tmp / f"worker{number}.log")
                worker.start()
                workers.append(worker)
            ready = [await _ready(http, port, ClientError) for port in ports]
            users = range(FIRST_USER, FIRST_USER + USERS)
            for user in users:
                api.push_text(user, "/start")
            deadline = time.monotonic() + 30
            while len(replies_per_user(api, users)) < USERS and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            # Read again once the users were answered: by then the scheduler has its lock.
            after = [await _ready(http, port, ClientError) for port in ports]
            holders = {r.get("scheduler", {}).get("holder") for r in after}
            handled = [r.get("inbox", {}).get("handled_here") for r in after]
            context = ssl.create_default_context(cafile=str(cert))
            async with http.post(url, data=json.dumps({"update_id": 1}), ssl=context,
                                 headers={"Content-Type": "application/json"}) as refused:
                unsigned = refused.status
            # A worker stopped (SIGTERM) while updates arrive: it answers 503 while it finishes,
            # nginx hands those POSTs to the others; every update answered once.
            later = range(FIRST_USER + USERS, FIRST_USER + USERS + LATER)
            started = time.monotonic()
            stopping = None
            for number, user in enumerate(later):
                api.push_text(user, "/help")
                if number == LATER // 3:
                    stopping = asyncio.create_task(asyncio.to_thread(workers[1].stop))
                await asyncio.sleep(max(0.0, started + (number + 1) / RATE - time.monotonic()))
            deadline = time.monotonic() + 30
            while len(replies_per_user(api, later)) < LATER and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            await asyncio.sleep(1)  # anything answered twice shows now
            if stopping is not None:
                await stopping
            twice = sum(1 for n in replies_per_user(api, later).values() if n > 1)
        for worker in workers:
            await asyncio.to_thread(worker.stop)
    finally:
        for worker in workers:
            if worker.process is not None and worker.process.poll() is None:
                worker.process.kill()
        nginx.terminate()
        nginx.wait(10)
        await forget_keys(redis, prefix)
    codes = [w.process.returncode if w.process is not None else None for w in workers]
    errors = sum(w.count(" ERROR ") for w in workers)
    proxied = (tmp / "access.log").read_text().count("/tg/webhook") if (
        tmp / "access.log").exists() else 0
    lost = LATER - len(replies_per_user(api, later))
    answered = len(replies_per_user(api, users))
    met = (all(r.get("ready") for r in ready) and len(holders) == 1 and None not in holders
           and answered == USERS and unsigned == 401 and codes == [0] * WORKERS
           and errors == 0 and lost == 0 and twice == 0)
    print(f"nginx (deploy/nginx-zhaolu.conf) in front of {WORKERS} webhook workers: ready "
          f"{sum(bool(r.get('ready')) for r in ready)}/{WORKERS}, scheduler holder "
          f"{'one, named by all' if len(holders) == 1 and None not in holders else holders}; "
          f"{answered}/{USERS} users answered through the proxy "
          f"({proxied} requests proxied; handled per worker {handled}); without the secret: "
          f"{unsigned}; one worker stopped while {LATER} updates came at {RATE:g}/s: lost "
          f"{lost}, answered twice {twice}; exit codes after SIGTERM {codes}; {errors} ERROR lines "
          f"({'met' if met else 'NOT met'})", flush=True)


async def _ready(http: object, port: int, network_error: type[Exception]) -> dict:
    """The worker's /readyz once it answers 200 (90 s at most)."""
    deadline = time.monotonic() + 90
    while True:
        try:
            async with http.get(  # type: ignore[attr-defined]
                    f"http://127.0.0.1:{port}/readyz") as answer:
                if answer.status == 200:
                    return await answer.json()
        except network_error:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"worker on {port} was not ready in 90 s")
        await asyncio.sleep(0.3)


if __name__ == "__main__":
    main()
