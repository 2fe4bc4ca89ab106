"""Load-test the production server with wrk on the 100,000-product catalog: `make bench` (runs this with
DATABASE_URL set by app.devdb). See bench/README.md.

Prepares the bench database (bench.catalog: `jishi_bench` on the same server, generated once and kept),
starts `python -m app.manage serve --workers 2` on it on a free 127.0.0.1 port, then for each page runs a
3 s warm-up and a measured `wrk -t2 -c50 -d15s --latency` run: home, login, a category, a search with
filters and product pages (rotating over ~200 products). Then counts the bytes of a phone's first visit to
home and runs Lighthouse (mobile) on home, the search and a product page, and stops the server.

Writes bench/results/home.json and login.json (as before, now on the bench catalog: see catalog_products)
and bench/results/catalog.json. BENCH_DURATION (seconds) and BENCH_CONNECTIONS override the defaults;
BENCH_LIGHTHOUSE=0 skips Lighthouse. Exit code: 0 even when a target is missed (the summary says MISSED);
non-zero when the benchmark could not run or a page answered non-2xx/3xx.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import resource
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

import asyncpg

from bench import catalog, flash_burst
from bench import checkout as checkout_bench

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = {"requests_per_s": 1000, "p99_ms": 60}  # home.json's target (home only)
CATALOG_TARGETS = {  # from the catalog issue
    "product_p99_ms": 50,
    "search_p99_ms": 100,
    "home_first_load_bytes": 61_440,
    "lighthouse_performance_min": 98,
    "lighthouse_accessibility_min": 100,
}
P99_TARGETS = {"home": TARGET["p99_ms"], "search": CATALOG_TARGETS["search_p99_ms"]}
P99_TARGETS["product"] = CATALOG_TARGETS["product_p99_ms"]
THREADS = 2
WORKERS = 2
DURATION = int(os.environ.get("BENCH_DURATION", "15").rstrip("s"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "50"))
WARMUP_S = 3
TIMEOUT_S = int(os.environ.get("BENCH_TIMEOUT", "10").rstrip("s"))  # wrk's default (2 s) hides slow pages
DRAIN_MAX_S = 120
# what a browser sends, so the server compresses HTML as it does for shoppers ("" sends no such header)
ACCEPT_ENCODING = os.environ.get("BENCH_ACCEPT_ENCODING", "br, gzip")

# wrk calls done() once after the run; percentiles and max are in microseconds.
LUA_DONE = """done = function(summary, latency, requests)
  io.write(string.format("JISHI_LATENCY p50=%d p95=%d p99=%d max=%d\\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""
# Each connection asks for the next path of the list; each thread starts at another place in it.
LUA_ROTATE = """paths = {%s}
local next_offset = 0
setup = function(thread)
  thread:set("offset", next_offset)
  next_offset = next_offset + 101
end
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, paths[((n + (offset or 0)) %% #paths) + 1])
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


def drain(base: str) -> None:
    """Let requests queued by the last wrk run finish (one /healthz answer), so stopping interrupts none."""
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=15):  # noqa: S310 (our own URL)
            pass
    except OSError:
        pass


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


def wrk(binary: str, script: str, url: str, duration: int, cookie: str = "") -> str:
    cmd = [binary, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", f"--timeout={TIMEOUT_S}s", "--latency"]
    if ACCEPT_ENCODING:
        cmd += ["-H", f"Accept-Encoding: {ACCEPT_ENCODING}"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd += ["-s", script, url]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if result.returncode != 0:
        sys.exit(f"[bench] wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def check(base: str, path: str, cookie: str = "") -> int:
    """One plain request first, so a broken page fails clearly instead of being benchmarked. Returns its size."""
    request = urllib.request.Request(base + path, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own URL)
            return len(response.read())
    except urllib.error.HTTPError as exc:
        sys.exit(f"[bench] GET {path} answered HTTP {exc.code}; see the server log above")


async def _busy(db_url: str) -> int:
    conn = await asyncpg.connect(db_url)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND pid <> pg_backend_pid()"
            )
        )
    finally:
        await conn.close()


def settle(base: str, db_url: str) -> float:
    """Wait until the server has finished what the last wrk run left queued (wrk hangs up, the server still
    answers every request it accepted): no active query in the bench database for 1 s, then /healthz.
    Returns the seconds it took, so the next page is measured on an idle server."""
    started = time.monotonic()
    quiet = 0
    while quiet < 5 and time.monotonic() - started < DRAIN_MAX_S:
        quiet = quiet + 1 if asyncio.run(_busy(db_url)) == 0 else 0
        time.sleep(0.2)
    drain(base)
    return round(time.monotonic() - started, 1)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
NOISY_PCT = 15.0  # other programs' share of the CPUs above which a measured run is repeated once


def _machine_ticks() -> tuple[int, int, int]:
    """(all, idle + iowait, steal) jiffies since boot, summed over the CPUs."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields[:8]), fields[3] + fields[4], fields[7] if len(fields) > 7 else 0


def _our_ticks(server_pgid: int) -> tuple[int, int]:
    """CPU jiffies of (the server: its process group, the bench database's PostgreSQL backends)."""
    app = db = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            ticks = int(stat[11]) + int(stat[12])
            if int(stat[2]) == server_pgid:
                app += ticks
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if cmdline.startswith("postgres: ") and f" {catalog.DATABASE} " in cmdline:
                db += ticks
        except (OSError, IndexError, ValueError):
            continue
    return app, db


class CpuMeter:
    """Who used the CPUs during a measured run (percent of the machine's CPU time): the app server, its
    PostgreSQL backends, wrk (a waited-for child, so in RUSAGE_CHILDREN) and everything else on the machine
    (other programs: interference), plus steal and idle."""

    def __init__(self, server_pgid: int) -> None:
        self.pgid = server_pgid
        self.start = (time.monotonic(), _machine_ticks(), _our_ticks(server_pgid), self._children())

    @staticmethod
    def _children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def stop(self) -> dict[str, float]:
        wall0, (all0, idle0, steal0), ours0, kids0 = self.start
        wall = time.monotonic() - wall0
        all1, idle1, steal1 = _machine_ticks()
        capacity = max((all1 - all0) / CLOCK_TICKS, 1e-9)  # CPU-seconds the machine had
        busy = ((all1 - all0) - (idle1 - idle0) - (steal1 - steal0)) / CLOCK_TICKS
        app1, db1 = _our_ticks(self.pgid)
        app, db = (app1 - ours0[0]) / CLOCK_TICKS, (db1 - ours0[1]) / CLOCK_TICKS
        wrk_cpu = self._children() - kids0
        other = max(busy - app - db - wrk_cpu, 0.0)
        return {
            "wall_s": round(wall, 1),
            "app_pct": round(100 * app / capacity, 1),
            "postgres_pct": round(100 * db / capacity, 1),
            "wrk_pct": round(100 * wrk_cpu / capacity, 1),
            "other_pct": round(100 * other / capacity, 1),
            "steal_pct": round(100 * (steal1 - steal0) / CLOCK_TICKS / capacity, 1),
            "idle_pct": round(100 * (1 - busy / capacity), 1),
            "app_cpu_s": round(app, 2),
            "postgres_cpu_s": round(db, 2),
        }


def bench(
    binary: str, base: str, db_url: str, server_pgid: int, name: str, paths: list[str], cookie: str = ""
) -> dict[str, Any]:
    """wrk against base + paths[0], or rotating over all of `paths` (one per request) when there are several;
    with `cookie`, every request sends it (a signed-in shopper). A measured run during which other programs took
    more than NOISY_PCT of the CPUs is repeated once (the quieter run is kept); the CPU split of the kept run is
    recorded."""
    sizes = [check(base, p, cookie) for p in paths]
    what = paths[0] if len(paths) == 1 else f"{len(paths)} paths from {paths[0]}"
    log(f"{name} ({what}): HTTP 200, {max(sizes)} bytes; {WARMUP_S} s warm-up, then {DURATION} s")
    lua = LUA_DONE
    if len(paths) > 1:
        lua = LUA_ROTATE % ", ".join(json.dumps(p) for p in paths) + lua
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="jishi-bench-") as script:
        script.write(lua)
        script.flush()
        wrk(binary, script.name, base + paths[0], WARMUP_S, cookie)
        settle(base, db_url)
        figures, cpu = {}, {"other_pct": 101.0}
        for attempt in (1, 2):
            meter = CpuMeter(server_pgid)
            output = wrk(binary, script.name, base + paths[0], DURATION, cookie)
            split = meter.stop()
            if split["other_pct"] < cpu["other_pct"]:
                figures, cpu = parse(output), split
            if split["other_pct"] <= NOISY_PCT or attempt == 2:
                break
            log(f"{name}: other programs used {split['other_pct']}% of the CPUs during the run; measuring again")
            settle(base, db_url)
    backlog = settle(base, db_url)
    if backlog > 2:
        log(f"{name}: the server needed {backlog} s after wrk stopped to finish the requests it had accepted")
    result: dict[str, Any] = {"name": name, "path": paths[0], "tool": "wrk", "connections": CONNECTIONS}
    result["visitor"] = "signed in (session cookie)" if cookie else "anonymous"
    if len(paths) > 1:
        result["rotating_over"] = len(paths)
    result |= {"threads": THREADS, "duration_s": DURATION, "timeout_s": TIMEOUT_S}
    result["accept_encoding"] = ACCEPT_ENCODING or None
    result |= {"server": f"granian, {WORKERS} workers", **figures}
    result["response_bytes_identity"] = max(sizes)
    result["backlog_s"] = backlog
    result["cpu_split"] = cpu
    return result


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    model = ""
    try:
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if "model name" in line
            ),
            "",
        )
    except OSError:
        pass
    return {"cpu_count": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version()}


def write(name: str, data: dict[str, Any]) -> None:
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def trustworthy(r: dict[str, Any]) -> bool:
    """wrk leaves timed-out requests out of its latencies: a run with timeouts (or no requests) meets nothing."""
    return bool(r["requests"] and not r["errors"]["timeout"] and r["latency_ms"]["p99"])


def page_entry(r: dict[str, Any]) -> dict[str, Any]:
    target = P99_TARGETS.get(r["name"])
    p99 = r["latency_ms"]["p99"]
    entry = {"path": r["path"], "visitor": r["visitor"]}
    if "rotating_over" in r:
        entry["rotating_over"] = r["rotating_over"]
    lat = {k: r["latency_ms"].get(k) for k in ("p50", "p95", "p99", "max")}
    entry |= {"requests_per_s": r["requests_per_s"], "latency_ms": lat, "requests": r["requests"]}
    entry |= {
        "non_2xx_3xx": r["non_2xx_3xx"],
        "socket_errors": r["errors"],
        "response_bytes_identity": r["response_bytes_identity"],
    }
    entry["backlog_s"] = r["backlog_s"]  # how long the server kept working after wrk stopped
    entry["cpu_split"] = r["cpu_split"]  # other_pct: programs other than the server, its database and wrk
    if r["requests"]:  # CPU cost of one request, from the measured run
        entry["cpu_ms_per_request"] = {
            "app": round(1000 * r["cpu_split"]["app_cpu_s"] / r["requests"], 2),
            "postgres": round(1000 * r["cpu_split"]["postgres_cpu_s"] / r["requests"], 2),
        }
    entry["target_p99_ms"] = target
    entry["meets_target"] = None if target is None else bool(trustworthy(r) and p99 < target)
    return entry


def lighthouse_verdict(scores: dict[str, Any]) -> bool | None:
    if "error" in scores or scores.get("performance") is None:
        return None
    return bool(
        scores["performance"] >= CATALOG_TARGETS["lighthouse_performance_min"]
        and scores["accessibility"] >= CATALOG_TARGETS["lighthouse_accessibility_min"]
    )


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else "met" if ok else "MISSED"


def summary(report: dict[str, Any]) -> None:
    print(f"\ncatalog: {report['catalog_products']:,} products; {CONNECTIONS} connections, {DURATION} s per page")
    head = ("req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "non-2xx")
    print(
        f"{'page':<18}{head[0]:>8}"
        + "".join(f"{h:>9}" for h in head[1:])
        + f"{'p99 goal':>10}{'app/db ms':>12}{'others':>8}  verdict"
    )
    for name, r in report["pages"].items():
        lat = r["latency_ms"]
        cells = "".join(f"{lat.get(k) or 0:>9.1f}" for k in ("p50", "p95", "p99", "max"))
        goal = f"< {r['target_p99_ms']}" if r["target_p99_ms"] else "-"
        others = f"{r['cpu_split']['other_pct']:.0f}%"
        cpu = r.get("cpu_ms_per_request") or {}
        cost = f"{cpu.get('app', 0):.2f}/{cpu.get('postgres', 0):.2f}"
        row = f"{name:<18}{r['requests_per_s']:>8.0f}{cells}{r['non_2xx_3xx']:>9}{goal:>10}{cost:>12}{others:>8}"
        print(f"{row}  {verdict(r['meets_target'])}")
    b = report["home_first_load_bytes"]
    print(
        f"\nhome first load (phone, br/gzip): html {b['html']:,} + css {b['css']:,} + js {b['js']:,} = "
        f"{b['total']:,} bytes (goal < {b['target']:,})  {verdict(b['meets_target'])}"
    )
    lh = report["lighthouse"]
    if lh.get("error"):
        print(f"\nlighthouse: did not run: {lh['error']}")
    else:
        print(f"\nlighthouse ({lh.get('tool', '?')}, mobile)")
        print(f"{'page':<10}{'perf':>6}{'a11y':>6}{'best':>6}{'seo':>6}{'LCP ms':>9}{'CLS':>7}{'TBT ms':>8}  verdict")
        for name, s in lh["pages"].items():
            if "error" in s:
                print(f"{name:<10}  error: {s['error'][:120]}")
                continue
            cats = ("performance", "accessibility", "best_practices", "seo")
            scores = "".join(f"{'-' if s.get(k) is None else s[k]:>6}" for k in cats)
            metrics = f"{s['lcp_ms'] or 0:>9}{s['cls'] or 0:>7}{s['tbt_ms'] or 0:>8}"
            print(f"{name:<10}{scores}{metrics}  {verdict(s.get('meets_target'))}")
    t = CATALOG_TARGETS
    print(
        "\napp/db ms: CPU milliseconds per request in the app server and in PostgreSQL; others: share of the CPUs "
        "taken by other programs during the run (interference)"
    )
    print(
        f"\ngoals: home {TARGET['requests_per_s']} req/s with p99 <= {TARGET['p99_ms']} ms; product p99 < "
        f"{t['product_p99_ms']} ms; search p99 < {t['search_p99_ms']} ms; Lighthouse performance >= "
        f"{t['lighthouse_performance_min']} and accessibility {t['lighthouse_accessibility_min']}. "
        "Results in bench/results/",
        flush=True,
    )


def write_checkouts(checkouts: tuple[dict[str, Any], dict[str, Any]], server: str) -> None:
    about = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "server": server}
    for name, result in zip(("checkout_throughput", "checkout_hot_sku"), checkouts, strict=True):
        write(name, result | about)
        print(
            f"[bench] {name}: {result['orders']} orders, {result['orders_per_s']} orders/s, "
            f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, stock left {result['stock_left']}, "
            f"oversold {result['oversold']}"
        )


def checkout_only() -> int:
    """BENCH_ONLY=checkout make bench: the two checkout benchmarks without the page and Lighthouse runs."""
    url, _products = catalog.prepare_database(os.environ["DATABASE_URL"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "app.manage", "serve", "--workers", str(WORKERS), "--port", str(port)]
    server_env = {**os.environ, "DATABASE_URL": url, "LOGIN_LIMIT_PER_IP": "100000"}
    server = subprocess.Popen(cmd, start_new_session=True, env=server_env)
    try:
        wait_healthy(server, base)
        checkouts = checkout_bench.run(base, url, DURATION)
    finally:
        stop(server)
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_checkouts(checkouts, f"granian, {WORKERS} workers, on 127.0.0.1 (the load generator shares the machine)")
    return 0


def flash_only() -> int:
    """BENCH_ONLY=flash make bench: the flash-sale burst (bench/flash_burst.py) alone."""
    url, _products = catalog.prepare_database(os.environ["DATABASE_URL"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "app.manage", "serve", "--workers", str(WORKERS), "--port", str(port)]
    server_env = {**os.environ, "DATABASE_URL": url, "LOGIN_LIMIT_PER_IP": "100000"}
    server = subprocess.Popen(cmd, start_new_session=True, env=server_env)
    try:
        wait_healthy(server, base)
        result = flash_burst.run(base, url)
    finally:
        stop(server)
    RESULTS.mkdir(parents=True, exist_ok=True)
    server_note = f"granian, {WORKERS} workers, on 127.0.0.1 (the load generator shares the machine)"
    about = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine()}
    write("flash_burst", result | about | {"server": server_note})
    flash_burst.summary(result)
    return 0


def main() -> int:
    if not os.environ.get("DATABASE_URL"):
        sys.exit("[bench] DATABASE_URL is not set; run `make bench`")
    if os.environ.get("BENCH_ONLY") == "checkout":
        return checkout_only()
    if os.environ.get("BENCH_ONLY") == "flash":
        return flash_only()
    binary = ensure_wrk()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("[bench] DATABASE_URL is not set; run `make bench`")
    url, products = catalog.prepare_database(os.environ["DATABASE_URL"])
    load_before = load_average()
    if load_before[0] > (os.cpu_count() or 1) * 0.75:
        log(f"note: the machine is busy (load average {load_before}); see each page's 'others' share below")
    picked = catalog.pick_pages(url)
    category, product_ids = picked["category"], picked["product_ids"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "app.manage", "serve", "--workers", str(WORKERS), "--port", str(port)]
    RESULTS.mkdir(parents=True, exist_ok=True)
    # the checkout benchmark signs 550 buyers in from 127.0.0.1: the per-IP login limit would stop it
    server_env = {**os.environ, "DATABASE_URL": url, "LOGIN_LIMIT_PER_IP": "100000"}
    server = subprocess.Popen(cmd, start_new_session=True, env=server_env)
    try:
        wait_healthy(server, base)
        log(f"server up at {base} ({WORKERS} granian workers, database {catalog.DATABASE}, {products:,} products)")
        search_path, shown = catalog.pick_search(base)
        log(f"search: {search_path} shows {shown} products on its first page")
        first_load = catalog.first_load_bytes(base, CATALOG_TARGETS["home_first_load_bytes"])
        pages = {
            "home": ["/"],
            "login": ["/login"],
            "category": [f"/c/{category['id']}"],
            "search": [search_path],
            "product": [f"/p/{pid}" for pid in product_ids],
        }
        runs = {name: bench(binary, base, url, server.pid, name, paths) for name, paths in pages.items()}
        # Signed-in shoppers always reach the app (the page cache serves anonymous visitors only): the same
        # product and search pages for them show what a request that is not replayed from memory costs.
        cookie = catalog.signed_in_cookie(base)
        for name in ("search", "product"):
            runs[f"{name}_signed_in"] = bench(binary, base, url, server.pid, f"{name}_signed_in", pages[name], cookie)
        checkouts: tuple[dict[str, Any], dict[str, Any]] | None = None
        if os.environ.get("BENCH_CHECKOUT", "1") != "0":
            log("checkout: 50 buyers on distinct SKUs, then 500 buyers for one SKU with stock 100")
            checkouts = checkout_bench.run(base, url, DURATION)
        flash: dict[str, Any] | None = None
        if os.environ.get("BENCH_FLASH", "1") != "0":
            log("flash sale: 2,000 attempts on flash stock 100, product pages probed meanwhile")
            flash = flash_burst.run(base, url)
        if os.environ.get("BENCH_LIGHTHOUSE", "1") == "0":
            audits: dict[str, Any] = {"error": "skipped (BENCH_LIGHTHOUSE=0)", "pages": {}}
        else:
            audits = catalog.lighthouse(base, {"home": "/", "search": search_path, "product": pages["product"][0]})
        load_during = load_average()
    finally:
        drain(base)
        stop(server)

    measured_at = datetime.now(UTC).isoformat(timespec="seconds")
    about_db = {"database": catalog.DATABASE, "catalog_products": products}
    for name in ("home", "login"):  # the files `make bench` always wrote, same fields plus the catalog's size
        result = dict(runs[name])
        result.pop("response_bytes_identity")
        result.pop("visitor")
        result.pop("backlog_s")
        if name == "home":
            p99 = result["latency_ms"]["p99"]
            result["target"] = TARGET
            result["meets_target"] = bool(
                trustworthy(result) and result["requests_per_s"] >= TARGET["requests_per_s"] and p99 <= TARGET["p99_ms"]
            )
        write(name, result | about_db | {"measured_at": measured_at, "machine": {"cpu_count": os.cpu_count()}})
    for scores in audits.get("pages", {}).values():
        scores["meets_target"] = lighthouse_verdict(scores)
    report = {
        "measured_at": measured_at,
        "machine": machine() | {"load_average_1_5_15": {"before": load_before, "after": load_during}},
        **about_db,
        "server": f"granian, {WORKERS} workers, on 127.0.0.1 (wrk, the server and PostgreSQL share the machine)",
        "load": {
            "tool": "wrk",
            "threads": THREADS,
            "connections": CONNECTIONS,
            "duration_s": DURATION,
            "warmup_s": WARMUP_S,
            "timeout_s": TIMEOUT_S,
            "accept_encoding": ACCEPT_ENCODING or None,
        },
        "targets": CATALOG_TARGETS | {"home_p99_ms": TARGET["p99_ms"], "home_requests_per_s": TARGET["requests_per_s"]},
        "category": category,
        "pages": {name: page_entry(r) for name, r in runs.items()},
        "home_first_load_bytes": first_load,
        "lighthouse": audits,
    }
    lighthouse_pages = audits.get("pages", {}).values()
    report["verdicts"] = {  # None: could not be judged (Lighthouse did not run)
        "product_p99": report["pages"]["product"]["meets_target"],
        "search_p99": report["pages"]["search"]["meets_target"],
        "home_first_load_bytes": first_load["meets_target"],
        "lighthouse": None
        if not lighthouse_pages or any(s.get("meets_target") is None for s in lighthouse_pages)
        else all(s["meets_target"] for s in lighthouse_pages),
    }
    write("catalog", report)
    summary(report)
    if flash:
        server_note = f"granian, {WORKERS} workers, on 127.0.0.1 (the load generator shares the machine)"
        write("flash_burst", flash | {"measured_at": measured_at, "machine": machine(), "server": server_note})
        flash_burst.summary(flash)
    if checkouts:
        write_checkouts(checkouts, report["server"])
    if bad := [name for name, r in runs.items() if r["non_2xx_3xx"]]:
        print(
            f"[bench] FAILED: non-2xx/3xx responses from {', '.join(bad)}. Request the page with curl against "
            "`make run` to see the status, and check the server log above for tracebacks.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
