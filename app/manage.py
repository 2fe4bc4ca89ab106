"""Project commands, run with DATABASE_URL set (make wraps them in `python -m app.devdb run --`).

python -m app.manage migrate            apply every Piccolo migration
python -m app.manage run [--port N]     migrate, load demo data the first time, print logins, serve (dev)
python -m app.manage serve [--workers N] [--port N]   production server (granian), nothing else
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys

from app.config import ROOT


def migrate() -> None:
    env = {**os.environ, "PICCOLO_CONF": "piccolo_conf", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "all"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 or "failed" in result.stdout.lower():
        print(result.stdout, result.stderr, file=sys.stderr)
        sys.exit("migrations failed")
    print("[manage] migrations applied", file=sys.stderr)


def _demo_once(port: int) -> None:
    from app import demo
    from app.core.db import close_pool, start_pool

    async def go() -> bool:
        await start_pool(min_size=1, max_size=2)
        try:
            return await demo.load()
        finally:
            await close_pool()

    if asyncio.run(go()):
        print("[manage] demo data loaded", file=sys.stderr)
    demo.print_logins(port)


def run(port: int) -> None:
    import uvicorn

    migrate()
    _demo_once(port)
    os.environ.setdefault("RUN_WORKER", "1")  # development: the sweeps run inside the app
    print(f"  Serving on http://127.0.0.1:{port}  (Ctrl-C stops the app and the database)\n", flush=True)
    uvicorn.run(
        "app.main:create_asgi",
        factory=True,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


def serve(port: int, workers: int, host: str) -> None:
    os.execvp(
        sys.executable,
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--factory",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--loop",
            "uvloop",
            "--no-ws",
            "--log-level",
            "warning",
            "app.main:create_asgi",
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.manage")
    parser.add_argument("command", choices=["migrate", "run", "serve"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
    args = parser.parse_args()
    if args.command == "migrate":
        migrate()
    elif args.command == "run":
        run(args.port)
    else:
        serve(args.port, args.workers, args.host)


if __name__ == "__main__":
    main()
