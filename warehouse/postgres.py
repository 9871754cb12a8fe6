"""The warehouse on a PostgreSQL server (dbt target `postgres`): the landing load and the publish.

DuckDB reads the landing Parquet files in place; a server cannot, so before `dbt build` the load
step copies every landed entity of the landing contract into a table `<source>__<entity>` of the
build's landing schema, with the landed columns, the lineage columns and `filename` (the file's
path, as DuckDB's read_parquet gives it: the staging models read the partition date from it).

Schemas, for the configured schema `marketing` (DBT_POSTGRES_SCHEMA):
- `marketing_build_landing`: the landing tables of the build; `marketing_build`: what dbt builds
  (views over the landing tables, the marts as tables);
- `marketing` and `marketing_landing`: the published pair, which BI tools read.

The load fills a fresh schema and swaps it in by a rename in the same transaction, so the build
never reads a half-loaded landing zone. The publish drops the published pair and renames the
build pair in its place in one transaction: a reader sees the old warehouse or the new one, never
a mix (the publish waits for the transactions reading the old one to end). The views keep
pointing at their landing tables through the rename (PostgreSQL binds a view to tables, not to
names).

The database must sort text byte-wise (collation C), as DuckDB does: allocation rules hand the
remainder cent to the first or last account or channel in alphabetical order, and another
collation would move cents between rows. A database that does not exist yet is created so."""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pyarrow as pa
import pyarrow.csv as pa_csv

from core import storage
from core.landing import LINEAGE_FIELDS
from sources import LANDING_CONTRACT
from warehouse import BUILD_INFO, UpdateUnsupportedError, WarehouseMissingError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

    from core.landing import Root

logger = logging.getLogger(__name__)

# The environment dbt/profiles.yml reads for its postgres target, with the defaults it uses.
ENVIRONMENT_DEFAULTS = {
    "DBT_POSTGRES_HOST": "127.0.0.1",
    "DBT_POSTGRES_PORT": "5432",
    "DBT_POSTGRES_USER": "postgres",
    "DBT_POSTGRES_PASSWORD": "",
    "DBT_POSTGRES_DBNAME": "marketing",
    "DBT_POSTGRES_SCHEMA": "marketing",
    # A role (e.g. the BI tools' login, or a group role they are members of) granted read access
    # to the published schemas at every publish; empty: no grants.
    "DBT_POSTGRES_READER_ROLE": "",
}
FILENAME = "filename"
# The type code psycopg2 reports for a NUMERIC column.
_NUMERIC_OID = 1700
# The landing column types with a PostgreSQL type of their own (decimals and timestamps carry parameters).
_POSTGRES_TYPES = (
    (pa.types.is_string, "text"),
    (pa.types.is_date32, "date"),
    (pa.types.is_int64, "bigint"),
    (pa.types.is_float64, "double precision"),
    (pa.types.is_boolean, "boolean"),
)
# Strings in the order DuckDB sorts them (by byte): a database collation must agree.
_COLLATION_PROBE = ["b", "_", "B", "a", "-", "(all)", "Z", "é", "1"]


class PostgresWarehouseError(RuntimeError):
    """The PostgreSQL warehouse could not be reached, loaded or published."""


@dataclass(frozen=True)
class PostgresSettings:
    """Where the postgres target builds: the server, the database and the schema dbt writes to."""

    host: str
    port: int
    user: str
    password: str = dataclasses.field(repr=False)
    dbname: str
    schema: str
    reader_role: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> PostgresSettings:
        env = os.environ if environ is None else environ
        values = {name: env.get(name) or default for name, default in ENVIRONMENT_DEFAULTS.items()}
        try:
            port = int(values["DBT_POSTGRES_PORT"])
        except ValueError:
            raise PostgresWarehouseError(
                f"DBT_POSTGRES_PORT={values['DBT_POSTGRES_PORT']!r} is not a port number"
            ) from None
        return cls(
            host=values["DBT_POSTGRES_HOST"],
            port=port,
            user=values["DBT_POSTGRES_USER"],
            password=values["DBT_POSTGRES_PASSWORD"],
            dbname=values["DBT_POSTGRES_DBNAME"],
            schema=values["DBT_POSTGRES_SCHEMA"],
            reader_role=values["DBT_POSTGRES_READER_ROLE"] or None,
        )

    def __str__(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname} (schema {self.schema})"

    def connect(self, dbname: str | None = None):
        """A psycopg2 connection to the database (or another one of the same server)."""
        import psycopg2

        database = dbname or self.dbname
        try:
            return psycopg2.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                dbname=database,
                connect_timeout=10,
                application_name="marketing-pipeline",
            )
        except psycopg2.OperationalError as exc:
            raise PostgresWarehouseError(
                f"cannot connect to PostgreSQL database {database!r} at {self.host}:{self.port} as {self.user}: "
                f"{str(exc).strip()}. Check DBT_POSTGRES_HOST, DBT_POSTGRES_PORT, DBT_POSTGRES_USER, "
                "DBT_POSTGRES_PASSWORD and DBT_POSTGRES_DBNAME."
            ) from exc


def unreachable(settings: PostgresSettings) -> str | None:
    """Why the server cannot be used (it does not answer, or refuses the login), or None."""
    try:
        settings.connect("postgres").close()
    except PostgresWarehouseError as exc:
        return str(exc)
    return None


@contextmanager
def scratch_database(settings: PostgresSettings, prefix: str) -> Iterator[PostgresSettings]:
    """The settings with a new database of a unique name (collation C), dropped at the end even
    while sessions are still connected to it: for tests and benchmarks."""
    from psycopg2 import sql

    scratch = replace(settings, dbname=f"{prefix}_{secrets.token_hex(4)}")
    ensure_database(scratch)
    try:
        yield scratch
    finally:
        with closing(settings.connect("postgres")) as admin:
            admin.autocommit = True
            with admin.cursor() as cursor:
                cursor.execute(
                    sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(scratch.dbname))
                )


def ensure_database(settings: PostgresSettings) -> None:
    """Create the database (collation C) when it does not exist; refuse one that sorts text otherwise."""
    try:
        connection = settings.connect()
    except PostgresWarehouseError:
        if not _create_database(settings):
            raise
        connection = settings.connect()
    with closing(connection), connection.cursor() as cursor:
        cursor.execute("select array_agg(probe order by probe) from unnest(%s::text[]) as probe", (_COLLATION_PROBE,))
        (ordered,) = cursor.fetchone()
    if ordered != sorted(_COLLATION_PROBE):
        raise PostgresWarehouseError(
            f"database {settings.dbname!r} on {settings.host}:{settings.port} sorts text as {ordered}, not by byte "
            f"as DuckDB does ({sorted(_COLLATION_PROBE)}): the allocation rules would move cents between rows. "
            f"Use a database created with LC_COLLATE 'C' (CREATE DATABASE ... TEMPLATE template0 LC_COLLATE 'C'), "
            "or name a database that does not exist yet in DBT_POSTGRES_DBNAME and the pipeline creates it."
        )


def _create_database(settings: PostgresSettings) -> bool:
    """Create the database from the server's maintenance database `postgres`; False if it exists."""
    from psycopg2 import sql

    with closing(settings.connect("postgres")) as admin:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("select 1 from pg_database where datname = %s", (settings.dbname,))
            if cursor.fetchone() is not None:
                return False
            # template0: the only template a database with its own collation can copy.
            cursor.execute(
                sql.SQL("create database {} template template0 encoding 'UTF8' lc_collate 'C'").format(
                    sql.Identifier(settings.dbname)
                )
            )
    logger.info("created database %s on %s:%s", settings.dbname, settings.host, settings.port)
    return True


@dataclass(frozen=True)
class PostgresSchema:
    """A warehouse in a schema of a PostgreSQL database, its landing tables in `<schema>_landing`:
    tonight's build (`<published schema>_build`), or the published warehouse."""

    settings: PostgresSettings

    dbt_target: ClassVar[str] = "postgres"

    def __str__(self) -> str:
        return str(self.settings)

    @property
    def name(self) -> str:
        return f"{self.settings.dbname}.{self.schema}"

    @property
    def schema(self) -> str:
        return self.settings.schema

    @property
    def landing_schema(self) -> str:
        """The schema of the landing tables the models of `schema` read (macros/landing_source.sql)."""
        return f"{self.schema}_landing"

    def build(self) -> PostgresSchema:
        """The schema a build of this (published) warehouse is made in."""
        return PostgresSchema(replace(self.settings, schema=f"{self.schema}_build"))

    def prepare_build(self, landing_root: Root) -> None:
        """The database checked (or created), the previous build dropped, the landing zone loaded."""
        from psycopg2 import sql

        ensure_database(self.settings)
        with closing(self.settings.connect()) as connection, connection, connection.cursor() as cursor:
            cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(self.schema)))
        self._load_landing(landing_root)

    def _load_landing(self, landing_root: Root) -> None:
        """Replace the landing schema with the landing zone: one table `<source>__<entity>` per
        landed entity of the landing contract (entities without a file get no table: dbt builds
        them as empty). Loaded into a fresh schema and renamed in the same transaction."""
        from psycopg2 import sql

        schema = self.landing_schema
        loading = f"{schema}__loading"
        loaded: dict[str, int] = {}
        with closing(self.settings.connect()) as connection, connection, connection.cursor() as cursor:
            cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(loading)))
            cursor.execute(sql.SQL("create schema {}").format(sql.Identifier(loading)))
            for (source, entity), contract in LANDING_CONTRACT.items():
                files = sorted((storage.location(landing_root) / source / entity).glob("date=*/*.parquet"), key=str)
                if files:
                    loaded[f"{source}__{entity}"] = _load_entity(
                        cursor, loading, f"{source}__{entity}", contract, files
                    )
            cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
            cursor.execute(
                sql.SQL("alter schema {} rename to {}").format(sql.Identifier(loading), sql.Identifier(schema))
            )
        logger.info(
            "loaded %d landing tables (%d rows) into %s.%s",
            len(loaded),
            sum(loaded.values()),
            self.settings.dbname,
            schema,
        )

    def dbt_environment(self) -> dict[str, str]:
        return {
            "DBT_POSTGRES_HOST": self.settings.host,
            "DBT_POSTGRES_PORT": str(self.settings.port),
            "DBT_POSTGRES_USER": self.settings.user,
            "DBT_POSTGRES_PASSWORD": self.settings.password,
            "DBT_POSTGRES_DBNAME": self.settings.dbname,
            "DBT_POSTGRES_SCHEMA": self.schema,
        }

    def dbt_vars(self) -> dict[str, str]:
        return {"landing_schema": self.landing_schema}

    def record_build(self, build_id: str, run_date: date) -> None:
        from psycopg2 import sql

        with closing(self.settings.connect()) as connection, connection, connection.cursor() as cursor:
            name = sql.Identifier(self.schema, BUILD_INFO)
            cursor.execute(sql.SQL("drop table if exists {}").format(name))
            cursor.execute(
                sql.SQL(
                    "create table {} as select %s::text as build_id, %s::date as run_date, now() as built_at"
                ).format(name),
                (build_id, run_date),
            )

    def build_id(self) -> str | None:
        from psycopg2 import sql

        with closing(self.settings.connect()) as connection, connection.cursor() as cursor:
            cursor.execute("select to_regclass(%s)", (f'"{self.schema}"."{BUILD_INFO}"',))
            if cursor.fetchone()[0] is None:
                return None
            cursor.execute(sql.SQL("select build_id from {}").format(sql.Identifier(self.schema, BUILD_INFO)))
            row = cursor.fetchone()
        return row[0] if row else None

    def updated_copy(self, work: Path) -> PostgresSchema:
        raise UpdateUnsupportedError(
            f"{self}: a PostgreSQL warehouse is not updated between builds; the next nightly build "
            "publishes what was landed for it"
        )

    def replace_if_unchanged(self, copy: PostgresSchema, build_id: str | None) -> bool:
        raise UpdateUnsupportedError(f"{self}: a PostgreSQL warehouse is not updated between builds")

    def publish(self, build: PostgresSchema, latest_build: str | None, record: Path) -> None:
        """Drop this schema and its landing schema and rename the build's in their place, in one
        transaction (a reader sees the old warehouse or the new one). Only "no build" counts as
        published: a build missing one of its schemas fails. A failure names `latest_build`
        alone: `record`, a file on the machine of the build step, says nothing about the server."""
        from psycopg2 import sql

        settings = self.settings
        pairs = [(build.schema, self.schema), (build.landing_schema, self.landing_schema)]
        with closing(settings.connect()) as connection, connection, connection.cursor() as cursor:
            cursor.execute("select nspname from pg_namespace where nspname = any(%s)", ([name for name, _ in pairs],))
            missing = {name for name, _ in pairs} - {name for (name,) in cursor.fetchall()}
            if missing:
                nothing_built = missing == {name for name, _ in pairs}
                if nothing_built and latest_build is not None and self.build_id() == latest_build:
                    logger.info("publish: build %s is already published in %s; nothing to do", latest_build, settings)
                    return
                raise PostgresWarehouseError(
                    f"publish: no build to publish in {settings.dbname} (missing schema {', '.join(sorted(missing))}), "
                    f"and {settings} is not the last build ({latest_build or 'none recorded'}); run the build task first"
                )
            if settings.reader_role:
                _grant_read(cursor, [built for built, _ in pairs], settings.reader_role)
            for built, published in pairs:
                cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(published)))
                cursor.execute(
                    sql.SQL("alter schema {} rename to {}").format(sql.Identifier(built), sql.Identifier(published))
                )
        logger.info("published %s", settings)

    def read_table(self, table: str) -> pa.Table:
        return self._read_tables([table])[table]

    def _read_tables(self, tables: Sequence[str]) -> dict[str, pa.Table]:
        """Every row of each table as Arrow, read in one repeatable-read snapshot (a publish in
        between cannot mix two builds)."""
        from psycopg2 import errors

        with closing(self.settings.connect()) as connection:
            connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
            with connection, connection.cursor() as cursor:
                try:
                    return {table: _arrow(cursor, self.schema, table) for table in tables}
                except (errors.UndefinedTable, errors.InvalidSchemaName) as exc:
                    raise PostgresWarehouseError(f"{self}: {str(exc).strip()}; run the nightly build first") from exc

    def snapshot(self, tables: Sequence[str]) -> duckdb.DuckDBPyConnection:
        """The tables copied, in one snapshot, into an in-memory DuckDB database, so the same
        queries run on either target."""
        import duckdb

        try:
            copied = self._read_tables(tables)
        except PostgresWarehouseError as exc:
            raise WarehouseMissingError(f"no published warehouse in {self}: {exc}") from exc
        connection = duckdb.connect()
        for name, table in copied.items():
            connection.register(f"{name}__arrow", table)
            connection.execute(f'create table "{name}" as select * from "{name}__arrow"')
            connection.unregister(f"{name}__arrow")
        return connection

    def query(self, sql: str) -> list[tuple]:
        """The rows of one query, with the schema first on the search path."""
        with closing(self.settings.connect()) as connection, connection.cursor() as cursor:
            cursor.execute("select set_config('search_path', %s, false)", (self.schema,))
            cursor.execute(sql)
            return cursor.fetchall()

    def append_rows(self, table: str, rows: pa.Table) -> None:
        from psycopg2 import sql
        from psycopg2.extras import execute_values

        with closing(self.settings.connect()) as connection, connection, connection.cursor() as cursor:
            cursor.execute(
                "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
                (self.schema, table),
            )
            existing = {name for (name,) in cursor.fetchall()}
            if not existing:
                raise PostgresWarehouseError(f"{self}: no table {table} to append to; run the build task first")
            names = [name for name in rows.column_names if name in existing]
            statement = sql.SQL("insert into {} ({}) values %s").format(
                sql.Identifier(self.schema, table), sql.SQL(", ").join(sql.Identifier(name) for name in names)
            )
            values = [tuple(row[name] for name in names) for row in rows.select(names).to_pylist()]
            execute_values(cursor, statement.as_string(cursor), values)


def _grant_read(cursor, schemas: list[str], role: str) -> None:
    """Let `role` read every table and view of `schemas`. The build schemas are new every night,
    so the grants are made on them before they are renamed into place: a reader never finds a
    published schema it may not read."""
    from psycopg2 import errors, sql

    try:
        for schema in schemas:
            cursor.execute(
                sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), sql.Identifier(role))
            )
            cursor.execute(
                sql.SQL("grant select on all tables in schema {} to {}").format(
                    sql.Identifier(schema), sql.Identifier(role)
                )
            )
    except errors.UndefinedObject as exc:
        raise PostgresWarehouseError(
            f"publish: cannot grant read access to {role!r} (DBT_POSTGRES_READER_ROLE): {str(exc).strip()}. "
            f"Create the role (create role {role} nologin; then grant it to the BI logins) or unset the "
            "variable; nothing was published"
        ) from exc


def _arrow(cursor, schema: str, table: str) -> pa.Table:
    """A table as Arrow. A NUMERIC(p, s) column stays a decimal of that precision and scale, as in
    the DuckDB warehouse; one without them holding whole numbers only (a sum of integers) becomes
    an integer, and any other (a computed ratio) a double, since its values may hold more digits
    than an Arrow decimal can."""
    from psycopg2 import sql

    cursor.execute(sql.SQL("select * from {}").format(sql.Identifier(schema, table)))
    description = cursor.description
    rows = cursor.fetchall()
    columns = {}
    for index, column in enumerate(description):
        values = [row[index] for row in rows]
        if column.type_code == _NUMERIC_OID:
            present = [value for value in values if value is not None]
            if column.precision is not None and 0 < column.precision <= 38:
                columns[column.name] = pa.array(values, pa.decimal128(column.precision, column.scale or 0))
            elif present and all(value.as_tuple().exponent >= 0 for value in present):
                # A sum of integers (PostgreSQL's sum(bigint) is NUMERIC; DuckDB's an integer).
                columns[column.name] = pa.array([None if v is None else int(v) for v in values], pa.int64())
            else:
                columns[column.name] = pa.array([None if v is None else float(v) for v in values], pa.float64())
        else:
            columns[column.name] = pa.array(values)
    return pa.table(columns)


def _load_entity(cursor, schema_name: str, table_name: str, contract: pa.Schema, files: list[Path]) -> int:
    """Create the table of one entity, COPY its files into it (as CSV, which keeps every value
    exact: decimals as written, floats in their shortest round-trip form, timestamps in UTC) and
    gather the planner's statistics."""
    from psycopg2 import sql

    table = sql.Identifier(schema_name, table_name)
    schema = pa.schema([*contract, *LINEAGE_FIELDS, pa.field(FILENAME, pa.string())])
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(field.name), sql.SQL(_postgres_type(field, table_name)))
        for field in schema
    )
    cursor.execute(sql.SQL("create table {} ({})").format(table, columns))
    copy = sql.SQL("copy {} ({}) from stdin with (format csv)").format(
        table, sql.SQL(", ").join(sql.Identifier(name) for name in schema.names)
    )
    rows = 0
    for path in files:
        data = _conformed(storage.read_table(path), schema, storage.uri(path))
        buffer = io.BytesIO()
        pa_csv.write_csv(data, buffer, pa_csv.WriteOptions(include_header=False))
        buffer.seek(0)
        cursor.copy_expert(copy.as_string(cursor), buffer)
        rows += data.num_rows
    cursor.execute(sql.SQL("analyze {}").format(table))
    return rows


def _conformed(data: pa.Table, schema: pa.Schema, filename: str) -> pa.Table:
    """The file's columns in the contract's order and types; a column the file predates is NULL
    (as read_parquet's union_by_name gives it), one the contract does not know is left out."""
    columns = []
    for field in schema:
        if field.name == FILENAME:
            columns.append(pa.array([filename] * data.num_rows, pa.string()))
        elif field.name in data.column_names:
            try:
                columns.append(data.column(field.name).cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise PostgresWarehouseError(
                    f"{filename}: column {field.name} ({data.schema.field(field.name).type}) does not fit the landing "
                    f"contract's {field.type}: {exc}. Re-land the partition or fix core/contract.py."
                ) from exc
        else:
            columns.append(pa.nulls(data.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema.remove_metadata())


def _postgres_type(field: pa.Field, table_name: str) -> str:
    kind = field.type
    if pa.types.is_decimal(kind):
        return f"numeric({kind.precision}, {kind.scale})"
    if pa.types.is_timestamp(kind):
        return "timestamptz" if kind.tz is not None else "timestamp"
    for matches, postgres_type in _POSTGRES_TYPES:
        if matches(kind):
            return postgres_type
    raise PostgresWarehouseError(
        f"landing column {field.name} of {table_name} has type {kind}, which the Postgres load does "
        "not map: add it to warehouse/postgres.py"
    )
