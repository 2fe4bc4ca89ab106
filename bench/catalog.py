"""The catalog half of `make bench` (called from bench.run): the large-catalog database, the pages to load-test
in it, the bytes of a phone's first visit to home, and Lighthouse.

The 100,000-product catalog lives in its own database (BENCH_DATABASE, default `jishi_bench`) on the server
in DATABASE_URL, so it never touches the dev data. It is kept between runs and generated only when it has no
products, when an earlier generation did not finish (products without a search vector), or with
BENCH_REBUILD=1 (the database is dropped and created again). BENCH_PRODUCTS (default 100000) sets the size
of a new catalog.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import asyncpg

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
NODE_PREFIX = BENCH / ".node"
REPORTS = BENCH / ".lighthouse"  # full Lighthouse reports of the last run (not committed)
DATABASE = os.environ.get("BENCH_DATABASE", "jishi_bench")
PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "100000"))
GENERATE_TIMEOUT_S = 30 * 60
LIGHTHOUSE_TIMEOUT_S = 180
SEARCH_FILTERS = "in_stock=1&sort=sales&price_min=100&price_max=5000"
SEARCH_KEYWORDS = ("手机", "耳机", "笔记本电脑", "连衣裙", "运动鞋")  # the first that fills a page is used
PRODUCT_ROTATION = 200
MIN_SKUS = 3
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36"
)  # the phone Lighthouse emulates
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
    "--disable-sync --no-first-run"
)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the bench database
def database_url(url: str, name: str) -> str:
    """The same server, user and options as `url`, another database."""
    parts = urllib.parse.urlsplit(url)
    return parts._replace(path="/" + name).geturl()


async def _catalog_state(url: str) -> tuple[int, int]:
    """(products, products without a search vector); (0, 0) before the first migration."""
    conn = await asyncpg.connect(url)
    try:
        if not await conn.fetchval("SELECT to_regclass('product') IS NOT NULL"):
            return 0, 0
        row = await conn.fetchrow(
            "SELECT count(*) AS n, count(*) FILTER (WHERE search_vector IS NULL) AS bare FROM product"
        )
        return int(row["n"]), int(row["bare"])
    finally:
        await conn.close()


async def _create_database(url: str, *, drop: bool) -> None:
    conn = await asyncpg.connect(database_url(url, "postgres"))
    try:
        if drop:
            await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await conn.execute(f'CREATE DATABASE "{DATABASE}"')
            log(f"created database {DATABASE}")
    finally:
        await conn.close()


def _manage(args: list[str], url: str, what: str, timeout: float) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    try:
        result = subprocess.run([sys.executable, "-m", *args], env=env, cwd=ROOT, timeout=timeout)
    except subprocess.TimeoutExpired:
        sys.exit(f"[bench] {what} did not finish within {timeout:.0f} s; the benchmark did not run")
    if result.returncode != 0:
        sys.exit(f"[bench] {what} failed (exit {result.returncode}, see above); the benchmark did not run")


def prepare_database(dev_url: str) -> tuple[str, int]:
    """Create, migrate and (when needed) fill the bench database. Returns its URL and product count."""
    url = database_url(dev_url, DATABASE)
    if urllib.parse.urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        log(f"note: DATABASE_URL points at {urllib.parse.urlsplit(url).hostname}; the bench database goes there")
    try:
        asyncio.run(_create_database(dev_url, drop=os.environ.get("BENCH_REBUILD") == "1"))
    except (OSError, asyncpg.PostgresError) as exc:
        sys.exit(f"[bench] could not create database {DATABASE} ({type(exc).__name__}: {exc})")
    _manage(["app.manage", "migrate"], url, "migrating the bench database", 300)
    products, bare = asyncio.run(_catalog_state(url))
    if products and bare:
        log(f"{DATABASE}: {bare} of {products} products have no search vector (an unfinished generation?)")
        log("dropping it and generating the catalog again")
        asyncio.run(_create_database(dev_url, drop=True))
        _manage(["app.manage", "migrate"], url, "migrating the bench database", 300)
        products = 0
    if not products:
        log(f"{DATABASE} has no products: generating {PRODUCTS:,} (a few minutes; kept for later runs)")
        started = time.monotonic()
        _manage(["app.demo", "--products", str(PRODUCTS)], url, "generating the catalog", GENERATE_TIMEOUT_S)
        products, bare = asyncio.run(_catalog_state(url))
        log(f"generated {products:,} products in {time.monotonic() - started:.0f} s")
        if not products:
            sys.exit("[bench] `python -m app.demo --products N` created no products; the benchmark did not run")
    else:
        log(f"{DATABASE}: {products:,} products (kept; BENCH_REBUILD=1 generates them again)")
    return url, products


# ---------------------------------------------------------------- what to request
async def _pick(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    try:
        category = await conn.fetchrow(
            "SELECT c.id, c.name_zh, count(p.id) AS products FROM category c "
            "JOIN category leaf ON leaf.path LIKE c.path || '%' "
            "JOIN product p ON p.category = leaf.id JOIN shop s ON s.id = p.shop "
            "WHERE c.level = 1 AND c.visible AND p.status = 'active' AND s.status = 'active' "
            "GROUP BY c.id, c.name_zh ORDER BY count(p.id) DESC, c.id LIMIT 1"
        )
        products = await conn.fetch(
            "SELECT p.id FROM product p JOIN shop s ON s.id = p.shop "
            "WHERE p.status = 'active' AND s.status = 'active' AND p.sku_count >= $1 "
            "AND EXISTS (SELECT 1 FROM product_image i WHERE i.product = p.id) "
            "ORDER BY md5(p.id::text) LIMIT $2",  # a fixed, well-spread sample of the catalog
            MIN_SKUS,
            PRODUCT_ROTATION,
        )
    finally:
        await conn.close()
    if category is None or not products:
        sys.exit("[bench] the bench database has no visible category or product with several SKUs")
    return {
        "category": {"id": category["id"], "name": category["name_zh"], "products": category["products"]},
        "product_ids": [r["id"] for r in products],
    }


def pick_pages(url: str) -> dict[str, Any]:
    """A level-1 category with the most visible products and ~200 visible products with several SKUs."""
    return asyncio.run(_pick(url))


def get(url: str, *, headers: dict[str, str] | None = None, timeout: float = 15) -> tuple[int, dict[str, str], bytes]:
    """One GET; nothing is decompressed (urllib does not), so the body is what came over the wire."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (our own 127.0.0.1 server)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def pick_search(base: str) -> tuple[str, int]:
    """The search path (keyword plus filters) for the first keyword whose first page shows 20 products."""
    best: tuple[str, int] = ("", -1)
    for keyword in SEARCH_KEYWORDS:
        path = f"/search?q={urllib.parse.quote(keyword)}&{SEARCH_FILTERS}"
        status, _headers, body = get(base + path)
        if status != 200:
            sys.exit(f"[bench] GET {path} answered HTTP {status}; see the server log above")
        shown = len(set(re.findall(rb'href="/p/(\d+)"', body)))
        if shown >= 20:
            return path, shown
        if shown > best[1]:
            best = (path, shown)
    log(f"no search keyword filled a page; using {best[0]} ({best[1]} products)")
    return best


def signed_in_cookie(base: str) -> str:
    """Log the demo buyer in (GET /login for the CSRF cookie and token, POST the form) and return the Cookie
    header value a signed-in browser would send."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login", timeout=15) as response:
        page = response.read().decode("utf-8", "replace")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    if not token:
        sys.exit("[bench] the login page has no CSRF token field; cannot sign the benchmark shopper in")
    form = urllib.parse.urlencode(
        {"identifier": "buyer@jishi.test", "password": "jishi-buyer-2026", "_csrf_token": token.group(1)}
    ).encode()
    with opener.open(base + "/login", data=form, timeout=15) as response:
        response.read()
    cookies = {c.name: c.value for c in jar}
    if "sid" not in cookies:
        sys.exit("[bench] signing the demo buyer (buyer@jishi.test) in failed: no session cookie")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


# ---------------------------------------------------------------- a phone's first visit to home
class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.css: list[str] = []
        self.js: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").lower().split() and a.get("href"):
            self.css.append(a["href"] or "")
        elif tag == "script" and a.get("src"):
            self.js.append(a["src"] or "")


def first_load_bytes(base: str, target: int) -> dict[str, Any]:
    """Bytes on the wire (bodies as sent, compressed; headers not counted) for home's HTML and every
    same-origin stylesheet and script it references, fetched like a phone's first visit (no cookies)."""
    headers = {"Accept-Encoding": "br, gzip", "User-Agent": PHONE_UA, "Accept": "text/html,*/*"}
    parts: list[dict[str, Any]] = []

    def fetch(kind: str, url: str) -> bytes:
        status, got, body = get(url, headers=headers)
        if status != 200:
            sys.exit(f"[bench] GET {url} answered HTTP {status} while counting home's first-load bytes")
        parts.append(
            {
                "kind": kind,
                "path": urllib.parse.urlsplit(url).path,
                "bytes": len(body),
                "content_length": int(got["content-length"]) if "content-length" in got else None,
                "content_encoding": got.get("content-encoding", "identity"),
            }
        )
        return body

    html = fetch("html", base + "/")
    if parts[0]["content_encoding"] != "identity":  # decompress only to find the references, never to count
        html = _decompress(html, parts[0]["content_encoding"])
    finder = _Assets()
    finder.feed(html.decode("utf-8", "replace"))
    origin = urllib.parse.urlsplit(base).netloc
    for kind, refs in (("css", finder.css), ("js", finder.js)):
        for ref in dict.fromkeys(refs):
            url = urllib.parse.urljoin(base + "/", ref)
            if urllib.parse.urlsplit(url).netloc == origin:
                fetch(kind, url)
            else:
                parts.append({"kind": kind, "path": ref, "bytes": None, "note": "other origin: not counted"})
    sums = {k: sum(p["bytes"] or 0 for p in parts if p["kind"] == k) for k in ("html", "css", "js")}
    total = sum(sums.values())
    return {
        **sums,
        "total": total,
        "target": target,
        "meets_target": total < target,
        "request_headers": {"Accept-Encoding": headers["Accept-Encoding"], "User-Agent": "a phone (Moto G Power)"},
        "counted": "response bodies as sent (compressed); response headers not included",
        "parts": parts,
    }


def _decompress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        import gzip

        return gzip.decompress(body)
    if encoding == "br":
        import brotli  # type: ignore[import-untyped]

        return bytes(brotli.decompress(body))
    return body


# ---------------------------------------------------------------- Lighthouse
def _node_major_minor() -> tuple[int, int] | None:
    try:
        out = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.match(r"v(\d+)\.(\d+)", out.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def ensure_lighthouse() -> tuple[str | None, str]:
    """(path to the lighthouse binary, "") or (None, why not). Installs it under bench/.node when missing:
    13.x needs Node >= 22.19, 12.x runs on Node 18.16+."""
    binary = NODE_PREFIX / "node_modules" / ".bin" / "lighthouse"
    if binary.exists():
        return str(binary), ""
    node = _node_major_minor()
    if node is None:
        return None, "node is not installed (Lighthouse needs Node.js 18.16+ and npm)"
    if not shutil.which("npm"):
        return None, "npm is not installed"
    spec = "lighthouse@13" if node >= (22, 19) else "lighthouse@12"
    log(f"installing {spec} under bench/.node (node {node[0]}.{node[1]})")
    cmd = ["npm", "install", "--prefix", str(NODE_PREFIX), "--no-audit", "--no-fund", "--loglevel=error", spec]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return None, f"`{' '.join(cmd)}` did not finish within 300 s"
    if result.returncode != 0 or not binary.exists():
        return None, f"`{' '.join(cmd)}` failed ({result.returncode}): {(result.stderr or result.stdout)[-800:]}"
    return str(binary), ""


def _chrome() -> str | None:
    if (env := os.environ.get("CHROME_PATH")) and Path(env).exists():
        return env
    return next((p for name in ("chromium", "chromium-browser") if (p := shutil.which(name))), None)


def lighthouse(base: str, pages: dict[str, str]) -> dict[str, Any]:
    """Mobile Lighthouse (its default form factor and simulated throttling) for each page; the four category
    scores (0-100) and LCP/CLS/TBT. A page that could not be audited gets {"error": ...}."""
    binary, why = ensure_lighthouse()
    chrome = _chrome()
    if binary is None or chrome is None:
        error = why or "chromium not found (set CHROME_PATH or apt-get install chromium)"
        log(f"Lighthouse did not run: {error}")
        return {"error": error, "pages": {}}
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    out: dict[str, Any] = {
        "tool": f"lighthouse {version}",
        "chrome": subprocess.run([chrome, "--version"], capture_output=True, text=True, timeout=60).stdout.strip(),
        "settings": "mobile form factor, default simulated throttling (slow 4G, 4x CPU slowdown)",
        "pages": {},
    }
    REPORTS.mkdir(exist_ok=True)
    for name, path in pages.items():
        log(f"lighthouse {name} ({path})")
        for attempt in (1, 2):  # Lighthouse's own advice for a flaky trace (NO_NAVSTART, ...): run it again
            result = _audit(binary, chrome, base + path, REPORTS / f"{name}.json")
            if "error" not in result or attempt == 2:
                break
            log(f"lighthouse {name} failed ({result['error'][:200]}); running it again")
        out["pages"][name] = {"path": path, **result, "attempts": attempt}
    return out


def _audit(binary: str, chrome: str, url: str, report: Path) -> dict[str, Any]:
    """One Lighthouse run: the figures from its report, or {"error": ...}."""
    report.unlink(missing_ok=True)
    cmd = [
        binary, url, "--output=json", f"--output-path={report}", "--quiet", f"--chrome-flags={CHROME_FLAGS}",
        "--form-factor=mobile", "--only-categories=performance,accessibility,best-practices,seo",
    ]  # fmt: skip
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="jishi-lh-") as home:  # chromium's profile and crash dumps
        env = {**os.environ, "CHROME_PATH": chrome, "HOME": home}
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=LIGHTHOUSE_TIMEOUT_S, env=env)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {LIGHTHOUSE_TIMEOUT_S} s"}
    if result.returncode != 0 or not report.exists():
        return {"error": f"exit {result.returncode}: {(result.stderr or result.stdout).strip()[-800:]}"}
    return {**_scores(json.loads(report.read_text())), "took_s": round(time.monotonic() - started, 1)}


def _scores(report: dict[str, Any]) -> dict[str, Any]:
    cats, audits = report.get("categories", {}), report.get("audits", {})

    def score(key: str) -> int | None:
        value = (cats.get(key) or {}).get("score")
        return None if value is None else round(value * 100)

    def numeric(key: str, digits: int = 0) -> float | None:
        value = (audits.get(key) or {}).get("numericValue")
        return None if value is None else round(value, digits) if digits else round(value)

    failing: dict[str, dict[str, Any]] = {}
    for cat in ("performance", "accessibility", "best-practices", "seo"):
        for ref in (cats.get(cat) or {}).get("auditRefs", []):
            audit = audits.get(ref["id"]) or {}
            if not ref.get("weight") or audit.get("score") in (None, 1):
                continue
            failing.setdefault(cat, {})[ref["id"]] = _evidence(audit)
    runtime = report.get("runtimeError")
    return {
        "performance": score("performance"),
        "accessibility": score("accessibility"),
        "best_practices": score("best-practices"),
        "seo": score("seo"),
        "lcp_ms": numeric("largest-contentful-paint"),
        "fcp_ms": numeric("first-contentful-paint"),
        "cls": numeric("cumulative-layout-shift", 3),
        "tbt_ms": numeric("total-blocking-time"),
        "speed_index_ms": numeric("speed-index"),
        "total_byte_weight": numeric("total-byte-weight"),
        "not_passing": failing,
        "benchmark_index": (report.get("environment") or {}).get("benchmarkIndex"),
        **({"runtime_error": runtime} if runtime else {}),
    }


def _evidence(audit: dict[str, Any]) -> Any:
    """A metric's score, or up to three of the elements an audit found (their HTML snippets)."""
    if audit.get("scoreDisplayMode") == "numeric":
        return {"score": audit.get("score"), "value": audit.get("displayValue")}
    items = (audit.get("details") or {}).get("items") or []
    found = [str((item.get("node") or {}).get("snippet") or "")[:160] for item in items[:3] if isinstance(item, dict)]
    out = {"title": audit.get("title"), "items": len(items), "examples": [f for f in found if f]}
    first = (items[0].get("node") or {}) if items and isinstance(items[0], dict) else {}
    if why := first.get("explanation"):
        out["first_explanation"] = " ".join(str(why).split())[:300]
    return out
