"""A private, throw-away PostgreSQL cluster: for the farm's tests, the bench, and trying the farm out.

``initdb`` in a temporary directory, a free loopback port, the unix socket in that directory, no
fsync (the data dies with the directory anyway). PostgreSQL refuses to run as root, so as root the
cluster runs as the ``postgres`` system user (which Debian's ``postgresql`` package creates) or else
``nobody``, through ``runuser``. The binaries are found on ``PATH`` or under
``/usr/lib/postgresql/<version>/bin`` (Debian's layout: ``scripts/bootstrap.sh`` installs them).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from harness.farm._errors import FarmError

__all__ = ["Cluster", "find_pg_bin", "start_cluster"]

_START_TIMEOUT_S = 60
_SUPERUSER = "harness"


def find_pg_bin() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None when PostgreSQL is not installed."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in p.parent.name.split(".") if x.isdigit())

    found = sorted((p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
                   key=version, reverse=True)
    return found[0] if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> str | None:
    """The user to run the server as when we are root (it refuses root), or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise FarmError("running as root and there is no `postgres` or `nobody` user to run PostgreSQL as: "
                    "install Debian's postgresql (scripts/bootstrap.sh does) or run as a normal user")


@dataclass
class Cluster:
    root: Path
    port: int
    bin_dir: Path
    user: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{_SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        return cmd if self.user is None else ["runuser", "-u", self.user, "--", *cmd]

    def _run(self, *args: str, timeout_s: float = _START_TIMEOUT_S) -> None:
        done = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=timeout_s, check=False)
        if done.returncode != 0:
            server_log = self.root / "server.log"
            log = server_log.read_text(errors="replace")[-2000:] if server_log.exists() else ""
            raise FarmError(f"{args[0]} failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}"
                            + (f"\nserver log:\n{log}" if log else ""))

    def create_database(self, name: str) -> str:
        """A fresh, empty database in this cluster; its URL."""
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once and delete the cluster (its data is a test's, nothing to keep)."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout_s=30)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(prefix: str = "bgh-pg-") -> Cluster:
    """initdb and start a private cluster; the caller stops it (``Cluster.stop``)."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise FarmError("PostgreSQL is not installed (no initdb on PATH or under /usr/lib/postgresql/*/bin): "
                        "run scripts/bootstrap.sh (it installs Debian's postgresql) or apt-get install postgresql")
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix=prefix))
    if user is not None:
        shutil.chown(root, user)
    cluster = Cluster(root, _free_port(), bin_dir, user)
    try:
        cluster._run("initdb", "-D", str(cluster.data), "-A", "trust", "-U", _SUPERUSER, "-E", "UTF8", "--no-sync")
        options = (f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        cluster._run("pg_ctl", "-D", str(cluster.data), "-l", str(root / "server.log"), "-w", "-t",
                     str(_START_TIMEOUT_S), "-o", options, "start")
    except BaseException:
        cluster.stop()
        raise
    return cluster
