"""Load-test the production server with wrk: `make bench` (runs this with DATABASE_URL set by app.devdb).

Migrates, loads the demo data, starts `python -m app.manage serve --workers 2` on a free 127.0.0.1 port,
then for each target runs a 3 s warm-up and a measured `wrk -t2 -c50 -d15s --latency` run, and writes
bench/results/<name>.json. BENCH_DURATION (seconds) and BENCH_CONNECTIONS override the defaults.
Exit code: 0 even when the target is missed; non-zero when the benchmark could not run or saw errors.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {"home": "/", "login": "/login"}
TARGET = {"requests_per_s": 1000, "p99_ms": 60}  # applies to "home" only
THREADS = 2
WORKERS = 2
DURATION = int(os.environ.get("BENCH_DURATION", "15").rstrip("s"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "50"))
WARMUP_S = 3

# wrk calls done() once after the run; percentiles and max are in microseconds.
LUA = """done = function(summary, latency, requests)
  io.write(string.format("JISHI_LATENCY p50=%d p95=%d p99=%d max=%d\\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""
TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def ensure_wrk() -> str:
    if not shutil.which("wrk") and os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk not found: installing Debian's wrk package with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "update", "-qq"], env=env).returncode == 0:
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env)
    if found := shutil.which("wrk"):
        return found
    sys.exit("[bench] wrk is not installed; install it with: sudo apt-get install -y wrk")


def prepare_database() -> None:
    """Migrations plus the demo data (as app.manage's _demo_once does), so the pages have their normal data."""
    if subprocess.run([sys.executable, "-m", "app.manage", "migrate"]).returncode != 0:
        sys.exit("[bench] migrations failed (see above); the benchmark did not run")
    from app import demo
    from app.core.db import close_pool, start_pool

    async def go() -> None:
        await start_pool(min_size=1, max_size=2)
        try:
            await demo.load()
        finally:
            await close_pool()

    asyncio.run(go())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(server: subprocess.Popen[bytes], base: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"[bench] the server exited with code {server.returncode} before answering (see its log above)")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310 (our own URL)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    sys.exit(f"[bench] {base}/healthz did not answer 200 within {timeout:.0f} s")


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (granian and its workers), SIGKILL after 10 s."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def ms(value: str, unit: str) -> float:
    return round(float(value) * TO_MS[unit], 3)


def parse(output: str) -> dict[str, Any]:
    """The figures from wrk's --latency output plus the JISHI_LATENCY line printed by our Lua script."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if not rps or not total:
        sys.exit(f"[bench] unexpected wrk output:\n{output}")
    dist = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.M)}
    latency = {f"p{p}": dist.get(str(p)) for p in (50, 75, 90, 95, 99)} | {"max": None}
    if lua := re.search(r"JISHI_LATENCY p50=(\d+) p95=(\d+) p99=(\d+) max=(\d+)", output):
        latency |= dict(zip(("p50", "p95", "p99", "max"), (int(x) / 1000 for x in lua.groups()), strict=True))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = dict(zip(("connect", "read", "write", "timeout"), map(int, sock.groups()), strict=True)) if sock else {}
    return {
        "requests_per_s": float(rps.group(1)),
        "latency_ms": latency,
        "requests": int(total.group(1)),
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
        "errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0} | errors,
    }


def wrk(binary: str, script: str, url: str, duration: int) -> str:
    cmd = [binary, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", "-s", script, url]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if result.returncode != 0:
        sys.exit(f"[bench] wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def bench(binary: str, script: str, base: str, name: str, path: str) -> dict[str, Any]:
    url = base + path  # always http://127.0.0.1:<port>/...
    try:  # one plain request first, so a broken page fails clearly instead of being benchmarked
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our own URL)
            size = len(response.read())
    except urllib.error.HTTPError as exc:
        sys.exit(f"[bench] GET {path} answered HTTP {exc.code}; see the server log above")
    log(f"{name} ({path}): HTTP {response.status}, {size} bytes; {WARMUP_S} s warm-up, then {DURATION} s")
    wrk(binary, script, url, WARMUP_S)
    figures = parse(wrk(binary, script, url, DURATION))
    result: dict[str, Any] = {"name": name, "path": path, "tool": "wrk", "connections": CONNECTIONS}
    result |= {"threads": THREADS, "duration_s": DURATION, "server": f"granian, {WORKERS} workers", **figures}
    if name == "home":
        p99 = figures["latency_ms"]["p99"]
        result["target"] = TARGET
        result["meets_target"] = bool(
            figures["requests_per_s"] >= TARGET["requests_per_s"] and p99 is not None and p99 <= TARGET["p99_ms"]
        )
    result["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["machine"] = {"cpu_count": os.cpu_count()}
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return result


def summary(results: list[dict[str, Any]]) -> None:
    print(f"\n{'target':<8}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'non-2xx':>9}  verdict")
    for r in results:
        lat = r["latency_ms"]
        verdict = ("met" if r["meets_target"] else "MISSED") if "meets_target" in r else "-"
        cells = "".join(f"{lat.get(k) or 0:>9.1f}" for k in ("p50", "p95", "p99", "max"))
        print(f"{r['name']:<8}{r['requests_per_s']:>10.0f}{cells}{r['non_2xx_3xx']:>9}  {verdict}")
    goal = f"{TARGET['requests_per_s']} req/s with p99 <= {TARGET['p99_ms']} ms"
    print(f"\nhome target: {goal}; results in bench/results/", flush=True)


def main() -> int:
    binary = ensure_wrk()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("[bench] DATABASE_URL is not set; run `make bench`")
    prepare_database()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "app.manage", "serve", "--workers", str(WORKERS), "--port", str(port)]
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="jishi-bench-") as lua:
        lua.write(LUA)
        lua.flush()
        server = subprocess.Popen(cmd, start_new_session=True)
        try:
            wait_healthy(server, base)
            log(f"server up at {base} ({WORKERS} granian workers)")
            results = [bench(binary, lua.name, base, name, path) for name, path in TARGETS.items()]
        finally:
            stop(server)
    summary(results)
    if bad := [r["name"] for r in results if r["non_2xx_3xx"]]:
        print(
            f"[bench] FAILED: non-2xx/3xx responses from {', '.join(bad)}. Request the page with curl against "
            "`make run` to see the status, and check the server log above for tracebacks.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
