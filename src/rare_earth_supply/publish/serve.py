"""The data browser: Datasette on the release SQLite, reachable from this machine only.

It binds 127.0.0.1 (never another address), on a free port unless one is asked for, and opens
the database immutable, so nothing can write to it. Its metadata is generated from the Table
Schemas (publish/browser.py) and written as JSON beside the database it serves. Datasette is
an optional extra: `available()` says whether it is installed.
"""
from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
from pathlib import Path
from urllib.request import pathname2url

from rare_earth_supply.problems import PackageError
from rare_earth_supply.publish.browser import datasette_metadata
from rare_earth_supply.read.package import Package

HOST = "127.0.0.1"
DATABASE = "rare-earth-supply"  # the database's name in the browser's addresses, whatever the file is called
INSTALL_HINT = "the data browser needs Datasette: pip install 'rare-earth-supply[browser]'"
SETTINGS = {"default_page_size": 50, "suggest_facets": False, "sql_time_limit_ms": 3000, "allow_download": True}


def available() -> bool:
    try:
        import datasette.app  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        return False
    return True


def release_version(path: Path) -> str:
    """The version a release SQLite records; refuses anything else by name."""
    if not path.is_file():
        raise PackageError(f"--db {path}: no such file")
    try:
        connection = sqlite3.connect(f"file:{pathname2url(str(path.resolve()))}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT value FROM _release WHERE key = 'version'").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise PackageError(f"--db {path}: not a release database of rare-earth-supply ({exc})") from None
    if row is None:
        raise PackageError(f"--db {path}: its _release table records no version")
    return str(row[0])


def prepare(package: Package, db: Path | None, folder: Path) -> tuple[Path, Path]:
    """The database to serve (built into `folder` unless given) and its metadata JSON, written beside it
    (for a database given with --db, into `folder`, so nothing is written next to a user's file)."""
    if db is None:
        from rare_earth_supply.release.build import build
        db = next(p for p in build(package, folder).files if p.suffix == ".sqlite")
        where = db.parent
    else:
        release_version(db)
        where = folder
    metadata = where / f"{db.stem}.datasette.json"
    metadata.write_text(json.dumps(datasette_metadata(package, DATABASE), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return db, metadata


def listen(port: int) -> socket.socket:
    """A socket bound to the loopback address; port 0 asks the system for a free one."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise PackageError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
    return sock


def run(db: Path, metadata: Path, sock: socket.socket) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    import uvicorn
    from datasette.app import Datasette

    from rare_earth_supply.publish.guard import Guard, allowed_hosts, quiet_datasette_errors
    quiet_datasette_errors()
    port = sock.getsockname()[1]

    async def main() -> None:
        ds = Datasette(immutables=[str(db)], metadata=json.loads(metadata.read_text(encoding="utf-8")), settings=SETTINGS)
        opened = ds.databases[next(n for n in ds.databases if n not in ("_internal", "_memory"))]
        ds.remove_database(opened.name)
        ds.add_database(opened, name=DATABASE)
        await ds.invoke_startup()
        app = Guard(ds.app(), allowed_hosts(HOST, port))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False))
        await server.serve(sockets=[sock])

    # uvicorn stops on SIGTERM, then raises it again: end as on Ctrl-C, so temporary files are removed
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        asyncio.run(main())
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
