"""The real engines for the parity tests: a PostgreSQL server started from the machine's own binaries, and a local
Spark session.

PostgreSQL: `initdb` and `pg_ctl` into a temporary folder (as the `postgres` user when the
tests run as root, which initdb refuses), listening on a unix socket in that folder only (no
TCP port), stopped and removed at the end. Spark: one `local[2]` session for the whole run
(the engine reuses an active session and leaves it running), on the loopback only.

Missing engines skip their tests, unless INDICATORS_REQUIRE_ENGINES=1 (set by .ci/run): then
they fail, so CI cannot go green without them.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REQUIRED = os.environ.get("INDICATORS_REQUIRE_ENGINES") == "1"


def unavailable(why: str):
    """Skip (or fail, in CI) a test whose engine is not on this machine."""
    if REQUIRED:
        pytest.fail(f"{why} (INDICATORS_REQUIRE_ENGINES=1: the parity tests must run)")
    pytest.skip(why)


def postgres_bin() -> Path | None:
    """The folder of initdb/pg_ctl: PATH first, then Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


class PostgresServer:
    """A throwaway PostgreSQL server on a unix socket; `dsn(db)` reaches database `db` as the user `indicators`."""

    def __init__(self) -> None:
        binaries = postgres_bin()
        if binaries is None:
            unavailable("PostgreSQL's initdb is not installed (Debian: apt-get install postgresql)")
        assert binaries is not None
        self.bin = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="indicators-pg-"))
        self.data = self.folder / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the server as the unprivileged postgres user
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                unavailable("running as root, and there is no 'postgres' user to run the server as")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", "indicators", "--auth=trust", "-E", "UTF8", "--locale=C")
        options = f"-c listen_addresses='' -c unix_socket_directories={self.folder} -c fsync=off " \
                  "-c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log"), "-w", "start")

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run([*self.as_user, str(self.bin / program), *args], capture_output=True, text=True,
                                timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stderr or result.stdout}")

    def dsn(self, database: str = "postgres") -> str:
        return f"host={self.folder} user=indicators dbname={database}"

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def load_into_postgres(server: PostgresServer, database: str, duckdb_path: Path, model) -> str:
    """A new database `database` holding every table of a DuckDB extract (created from `indicators schema`'s DDL,
    filled with COPY, then ANALYZEd so the planner knows the tables); its DSN."""
    import duckdb
    import psycopg

    from engine.ddl import schema_sql
    with psycopg.connect(server.dsn(), autocommit=True) as admin:
        admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(database)))
    dsn = server.dsn(database)
    source = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute(schema_sql(model, "postgres"))
            for entity in model.entities.values():
                names = list(entity.columns)
                rows = source.table(entity.name).select(*names).fetchall()
                statement = psycopg.sql.SQL("COPY {} ({}) FROM STDIN").format(
                    psycopg.sql.Identifier(entity.name),
                    psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, names)))
                with con.cursor() as cursor, cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
            con.execute("ANALYZE")
    finally:
        source.close()
    return dsn


def spark_session():
    """One local Spark session for the test run (engine.backends.spark reuses it and leaves it running)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        unavailable("Java is not installed (Spark needs Java 17: apt-get install openjdk-17-jre-headless)")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        unavailable("pyspark is not installed: pip install -e '.[spark]'")
    from engine.backends.base import EngineOptions
    from engine.backends.spark import session
    spark, _ = session(EngineOptions("spark", spark_master="local[2]"))
    # the test extracts are tiny: plan and run them interpreted, in two partitions (about 1.6x faster here than
    # whole-stage code generation and adaptive execution, which pay off on real data); the results are the same
    for key, value in (("spark.sql.codegen.wholeStage", "false"), ("spark.sql.adaptive.enabled", "false"),
                       ("spark.sql.shuffle.partitions", "2")):
        spark.conf.set(key, value)
    return spark
