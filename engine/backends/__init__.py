"""Execution backends behind one seam (engine.backends.base.Backend): DuckDB (engine.execute, the default),
Spark (engine.backends.spark) and PostgreSQL (engine.backends.postgres).

`open_backend` is the one place that knows which engine reads which kind of `--data`; the
client libraries of Spark and PostgreSQL are optional extras, imported only when chosen.
"""
from __future__ import annotations

from pathlib import Path

from ..diagnostics import Diagnostic, EngineError, Position
from ..model import Model
from ..resources import Resources
from .base import DEFAULT_ENGINE, ENGINES, Backend, EngineOptions, QueryFailed, Result

__all__ = ["DEFAULT_ENGINE", "ENGINES", "Backend", "EngineOptions", "QueryFailed", "Result", "data_problem",
           "open_backend", "open_inline"]


def _is_dsn(data: str) -> bool:
    from .postgres import is_dsn
    return is_dsn(data)


def data_problem(data: Path | str, options: EngineOptions | None) -> Diagnostic | None:
    """Why `data` cannot be read by the chosen engine, before anything is opened (or None)."""
    engine = (options or EngineOptions()).engine
    text = str(data)
    if engine not in ENGINES:
        return Diagnostic(Position("--engine"), "E_ENGINE", f"unknown engine '{engine}'",
                          f"choose one of {', '.join(ENGINES)}")
    if engine != "postgres" and _is_dsn(text):
        return Diagnostic(Position("--data"), "E_ENGINE", "--data is a PostgreSQL connection string, but the engine "
                          f"is {engine}", "add --engine postgres")
    if engine == "postgres" and not _is_dsn(text):
        return Diagnostic(Position("--data"), "E_DSN", f"--engine postgres reads a database, and '{text}' is not a "
                          "PostgreSQL connection string", "e.g. --data postgresql://user@host:5432/dbname (the "
                          "password from PGPASSWORD or ~/.pgpass)")
    if engine != "spark" and text.startswith("spark:"):
        return Diagnostic(Position("--data"), "E_ENGINE", f"--data {text} names a database of Spark's catalog, but "
                          f"the engine is {engine}", "add --engine spark")
    if engine == "spark" and Path(text).is_file():
        return Diagnostic(Position(text), "E_DATA_OPEN", f"Spark reads a folder of Parquet files or a catalog "
                          f"database, not the file {text}",
                          "write the tables as <entity>.parquet into a folder (indicators demo-data --format parquet "
                          "does so for the synthetic extract), or give spark:DBNAME")
    return None


def _check_resources(options: EngineOptions, resources: Resources | None) -> None:
    if options.engine == "postgres" and resources is not None and resources.settings:
        given = ", ".join(option for option, _, _ in resources.settings)
        raise EngineError([Diagnostic(Position(resources.settings[0][0]), "E_RESOURCES",
                                      f"{given} cannot be set for PostgreSQL: the server's own settings apply",
                                      "leave them out with --engine postgres (--statement-timeout bounds a query)")])
    if options.engine != "spark" and (options.spark_master or options.spark_remote):
        raise EngineError([Diagnostic(Position("--spark-master" if options.spark_master else "--spark-remote"),
                                      "E_ENGINE", "--spark-master and --spark-remote choose a Spark cluster",
                                      "add --engine spark")])
    if options.spark_master and options.spark_remote:
        raise EngineError([Diagnostic(Position("--spark-remote"), "E_ENGINE", "give --spark-master or --spark-remote, "
                                      "not both", "--spark-remote sc://host:15002 is Spark Connect")])


def open_backend(data: Path | str, model: Model, mapping=None, options: EngineOptions | None = None,
                 resources: Resources | None = None) -> Backend:
    """Open `data` on the chosen engine (DuckDB unless `options` says otherwise) as typed views of the model."""
    options = options or EngineOptions()
    problem = data_problem(data, options)
    if problem is not None:
        raise EngineError([problem])
    _check_resources(options, resources)
    from ..execute import SourceMapping
    mapping = mapping or SourceMapping()
    if options.engine == "postgres":
        from . import postgres
        return postgres.open_dataset(str(data), model, mapping, options)
    if options.engine == "spark":
        from . import spark
        return spark.open_dataset(str(data), model, mapping, options, resources)
    from ..execute import open_dataset
    return open_dataset(data, model, mapping, resources)


def open_inline(model: Model, inputs: dict[str, list[dict]], description: str, options: EngineOptions | None = None,
                data: str | None = None, resources: Resources | None = None) -> Backend:
    """A golden fixture's rows on the chosen engine: DuckDB loads them into memory; Spark and PostgreSQL (on the
    server `data` names) read them as VALUES in front of each query."""
    options = options or EngineOptions()
    _check_resources(options, resources)
    if options.engine == "postgres":
        if data is None or not _is_dsn(str(data)):
            raise EngineError([Diagnostic(Position("--data"), "E_DSN", "--engine postgres runs the fixtures on a "
                                          "PostgreSQL server: give its connection string with --data",
                                          "e.g. --data postgresql://user@localhost/postgres (nothing is created "
                                          "there: the rows are sent as VALUES)")])
        from . import postgres
        return postgres.inline_dataset(str(data), model, inputs, options, description)
    if options.engine == "spark":
        from . import spark
        return spark.inline_dataset(model, inputs, options, description, resources)
    from ..execute import memory_dataset
    return memory_dataset(model, inputs, description, resources)
