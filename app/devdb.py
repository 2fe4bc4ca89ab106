"""The private PostgreSQL cluster under .data/ used when DATABASE_URL is not set.

    python -m app.devdb run [--fast] -- COMMAND...   start the cluster, run COMMAND with DATABASE_URL set, stop it
    python -m app.devdb start | stop | status | url

PostgreSQL refuses to run as root, so as root the cluster runs as Debian's `postgres` user (or `nobody`).
Binaries come from PG_BINDIR, PATH, /usr/lib/postgresql/*/bin, else Debian's package (as root), else the
`pgserver` wheel from PyPI. Where it got them is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import hashlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from app.config import ROOT

DATA = ROOT / ".data"
PGDATA = DATA / "pg"
PASSWORD_FILE = DATA / "pg-password"
SUPERUSER = "jishi"
DBNAME = "jishi"


def log(message: str) -> None:
    print(f"[devdb] {message}", file=sys.stderr, flush=True)


PORT_FILE = DATA / "pg-port"
DEFAULT_PORT = 54320


def _port_free(candidate: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as postgres does: TIME_WAIT is no conflict
        try:
            probe.bind(("127.0.0.1", candidate))
        except OSError:
            return False
    return True


def port() -> int:
    """JISHI_PG_PORT, else the port this checkout's cluster was given (kept in .data/pg-port)."""
    if env := os.environ.get("JISHI_PG_PORT"):
        return int(env)
    if PORT_FILE.exists():
        return int(PORT_FILE.read_text().strip())
    try:  # a server started before .data/pg-port existed: its pid file says where it listens
        return int((PGDATA / "postmaster.pid").read_text().splitlines()[3])
    except (OSError, IndexError, ValueError):
        return DEFAULT_PORT


def _choose_port() -> int:
    """54320, or a free port when another checkout's cluster (or anything else) already holds it."""
    chosen = DEFAULT_PORT
    if not _port_free(chosen):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            chosen = probe.getsockname()[1]
    DATA.mkdir(parents=True, exist_ok=True)
    PORT_FILE.write_text(str(chosen))
    return chosen


# ---------------------------------------------------------------- binaries
def _bindir_candidates() -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    if env := os.environ.get("PG_BINDIR"):
        found.append((Path(env), "PG_BINDIR"))
    if which := shutil.which("initdb"):
        found.append((Path(which).resolve().parent, "PATH"))
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    found += [(Path(p), "Debian's PostgreSQL") for p in debian]
    try:
        import pgserver  # type: ignore[import-not-found]

        found.append((Path(pgserver.__file__).parent / "pginstall" / "bin", "the pgserver wheel (pip)"))
    except ImportError:
        pass
    return [(p, why) for p, why in found if (p / "initdb").exists() and (p / "pg_ctl").exists()]


def bindir() -> Path:
    if found := _bindir_candidates():
        path, source = found[0]
        log(f"PostgreSQL binaries: {path} (from {source})")
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("no PostgreSQL binaries found: installing Debian's postgresql package with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        ok = subprocess.run(["apt-get", "update", "-qq"], env=env).returncode == 0 and (
            subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], env=env).returncode == 0
        )
        if ok and (found := _bindir_candidates()):
            log(f"PostgreSQL binaries: {found[0][0]} (installed Debian's postgresql package)")
            return found[0][0]
    log("no PostgreSQL binaries and no apt-get: installing the pgserver wheel from PyPI")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pgserver"], check=True)
    import importlib

    importlib.invalidate_caches()
    if found := _bindir_candidates():
        log(f"PostgreSQL binaries: {found[0][0]} (from the pgserver wheel)")
        return found[0][0]
    sys.exit("[devdb] could not find or install PostgreSQL; set DATABASE_URL to a server you have")


# ---------------------------------------------------------------- running as an unprivileged user
def _pg_user() -> pwd.struct_passwd | None:
    """The user the cluster runs as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    sys.exit("[devdb] running as root and no unprivileged user (postgres/nobody) exists")


def _as_pg(cmd: list[str]) -> list[str]:
    user = _pg_user()
    if user is None:
        return cmd
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--", *cmd]


def _pg_can_use(path: Path) -> bool:
    user = _pg_user()
    if user is None:
        return True
    probe = subprocess.run(_as_pg(["test", "-x", str(path)]), capture_output=True)
    return probe.returncode == 0


def _data_dir() -> Path:
    """.data/pg, or, when the unprivileged user cannot reach the checkout (e.g. under /root), a folder
    under /var/lib/jishi that .data/pg links to."""
    DATA.mkdir(parents=True, exist_ok=True)
    if PGDATA.is_symlink() or PGDATA.exists():
        return PGDATA.resolve()
    if _pg_can_use(DATA):
        PGDATA.mkdir(mode=0o700)
        return PGDATA
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    real = Path("/var/lib/jishi") / digest
    real.mkdir(parents=True, exist_ok=True, mode=0o700)
    Path("/var/lib/jishi").chmod(0o755)
    PGDATA.symlink_to(real)
    log(f"the postgres user cannot reach {DATA}; the cluster lives in {real} (linked from .data/pg)")
    return real


def _chown(path: Path) -> None:
    if (user := _pg_user()) is not None:
        os.chown(path, user.pw_uid, user.pw_gid)


def password() -> str:
    if not PASSWORD_FILE.exists():
        PASSWORD_FILE.write_text(secrets.token_urlsafe(24))
        PASSWORD_FILE.chmod(0o600)
    return PASSWORD_FILE.read_text().strip()


def admin_url(database: str = DBNAME) -> str:
    return f"postgresql://{SUPERUSER}:{password()}@127.0.0.1:{port()}/{database}"


# ---------------------------------------------------------------- lifecycle
def init(bins: Path) -> Path:
    data = _data_dir()
    if (data / "PG_VERSION").exists():
        return data
    _chown(data)
    data.chmod(0o700)
    with tempfile.NamedTemporaryFile("w", delete=False, dir=tempfile.gettempdir()) as pw:
        pw.write(password())
    _chown(Path(pw.name))
    try:
        log(f"initdb {data}")
        subprocess.run(
            _as_pg(
                [
                    str(bins / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    SUPERUSER,
                    "--pwfile",
                    pw.name,
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    finally:
        os.unlink(pw.name)
    return data


def _clear_stale_pid(data: Path) -> bool:
    """Remove postmaster.pid left by a killed run. Returns True when a live server owns the data dir."""
    pidfile = data / "postmaster.pid"
    if not pidfile.exists():
        return False
    try:
        pid = int(pidfile.read_text().splitlines()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"postgres" in cmdline and str(data).encode() in cmdline:
            return True
    except (ValueError, IndexError, FileNotFoundError, ProcessLookupError):
        pass
    log("removing a stale postmaster.pid from an earlier run that was killed")
    pidfile.unlink(missing_ok=True)
    return False


def start(*, fast: bool = False) -> bool:
    """Start the cluster; returns False when it was already running (adopted)."""
    bins = bindir()
    data = init(bins)
    if _clear_stale_pid(data):
        log(f"PostgreSQL already running on 127.0.0.1:{port()} with {data}; using it")
        return False
    if not os.environ.get("JISHI_PG_PORT") and not _port_free(port()):
        log(f"port {port()} is taken by another program; choosing another")
        _choose_port()
    elif not os.environ.get("JISHI_PG_PORT"):
        PORT_FILE.write_text(str(port()))
    opts = f"-c listen_addresses=127.0.0.1 -p {port()} -c unix_socket_directories='' -c max_connections=200"
    if fast:
        opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    logfile = data / "server.log"
    subprocess.run(
        _as_pg([str(bins / "pg_ctl"), "-D", str(data), "-l", str(logfile), "-o", opts, "-w", "-t", "60", "start"]),
        check=True,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    log(f"PostgreSQL started on 127.0.0.1:{port()} (data in {data})")
    asyncio.run(_ensure_database(DBNAME))
    return True


def stop() -> None:
    data = PGDATA.resolve()
    if not (data / "postmaster.pid").exists():
        return
    bins = bindir()
    subprocess.run(
        _as_pg([str(bins / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]), stdout=subprocess.DEVNULL
    )
    log("PostgreSQL stopped")


async def _ensure_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url("postgres"))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


CLIENTS = DATA / "pg-clients"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _join() -> None:
    CLIENTS.mkdir(parents=True, exist_ok=True)
    (CLIENTS / str(os.getpid())).touch()


def _leave() -> bool:
    """Unregister this run; True when it was the last live one (stale entries from killed runs are dropped)."""
    (CLIENTS / str(os.getpid())).unlink(missing_ok=True)
    others = False
    for entry in CLIENTS.glob("*"):
        if entry.name.isdigit() and _pid_alive(int(entry.name)):
            others = True
        else:
            entry.unlink(missing_ok=True)
    return not others


def run(command: list[str], *, fast: bool) -> int:
    """Run COMMAND with DATABASE_URL pointing at a database: the given one, else the private cluster."""
    if os.environ.get("DATABASE_URL"):
        log("using DATABASE_URL from the environment")
        return subprocess.call(command)
    start(fast=fast)
    _join()
    env = {**os.environ, "DATABASE_URL": admin_url()}
    # Ctrl-C reaches the child through the terminal's process group; we wait for it, then stop the cluster.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    child = subprocess.Popen(command, env=env)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        return child.wait()
    finally:
        if _leave():  # the last run using the cluster stops it; `make run` + `make test` side by side is fine
            stop()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="python -m app.devdb", usage="%(prog)s ACTION [--fast] [-- COMMAND...]")
    parser.add_argument("action", choices=["run", "start", "stop", "status", "url"])
    parser.add_argument("--fast", action="store_true", help="fsync off: for throwaway test data")
    args = parser.parse_args(argv)
    if args.action == "run":
        if not command:
            parser.error("run needs a command after --")
        return run(command, fast=args.fast)
    if args.action == "start":
        start(fast=args.fast)
    elif args.action == "stop":
        stop()
    elif args.action == "status":
        running = (PGDATA / "postmaster.pid").exists() and _clear_stale_pid(PGDATA.resolve())
        print("running" if running else "stopped")
    elif args.action == "url":
        print(admin_url())
    return 0


if __name__ == "__main__":
    sys.exit(main())
