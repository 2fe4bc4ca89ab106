"""The private cluster's start-up rules that need no server: stale pid files and finding binaries."""

import os
from pathlib import Path

from app import devdb


def test_a_stale_pid_file_from_a_killed_run_is_removed(tmp_path: Path):
    pidfile = tmp_path / "postmaster.pid"
    pidfile.write_text("999999999\n/somewhere\n")
    assert devdb._clear_stale_pid(tmp_path) is False
    assert not pidfile.exists()


def test_a_pid_file_naming_an_unrelated_live_process_is_removed(tmp_path: Path):
    pidfile = tmp_path / "postmaster.pid"
    pidfile.write_text(f"{os.getpid()}\n{tmp_path}\n")  # this pytest process is alive but is not postgres
    assert devdb._clear_stale_pid(tmp_path) is False
    assert not pidfile.exists()


def test_no_pid_file_means_nothing_running(tmp_path: Path):
    assert devdb._clear_stale_pid(tmp_path) is False


def test_without_binaries_root_installs_debians_package(monkeypatch, tmp_path: Path):
    calls: list[list[str]] = []
    found: list[tuple[Path, str]] = []

    def fake_run(cmd, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(cmd)
        if cmd[:2] == ["apt-get", "install"]:
            found.append((tmp_path, "Debian's PostgreSQL"))

        class Done:
            returncode = 0

        return Done()

    monkeypatch.setattr(devdb, "_bindir_candidates", lambda: list(found))
    monkeypatch.setattr(devdb.os, "geteuid", lambda: 0)
    monkeypatch.setattr(devdb.shutil, "which", lambda name: "/usr/bin/apt-get")
    monkeypatch.setattr(devdb.subprocess, "run", fake_run)
    assert devdb.bindir() == tmp_path
    assert ["apt-get", "install", "-y", "-qq", "postgresql"] in calls


def test_without_binaries_or_apt_it_falls_back_to_the_pip_server(monkeypatch, tmp_path: Path):
    calls: list[list[str]] = []
    found: list[tuple[Path, str]] = []

    def fake_run(cmd, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(cmd)
        found.append((tmp_path, "the pgserver wheel (pip)"))

    monkeypatch.setattr(devdb, "_bindir_candidates", lambda: list(found))
    monkeypatch.setattr(devdb.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(devdb.subprocess, "run", fake_run)
    assert devdb.bindir() == tmp_path
    assert calls and calls[0][-1] == "pgserver"
