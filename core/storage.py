"""Where the landing zone is stored: one abstraction, Airflow's ObjectStoragePath (fsspec), for a
local folder and for object storage.

By default the landing zone is `<PIPELINE_DATA_DIR>/landing` on the local disk. Set
`PIPELINE_LANDING_URL` to an object-storage URL (`s3://bucket/landing`, `gs://…`, `abfs://…`) and,
for its credentials, `PIPELINE_LANDING_CONN_ID` to an Airflow connection (e.g. an `aws` connection
with `AIRFLOW_CONN_…`); the scheme's filesystem comes from the Airflow provider that registers it
(apache-airflow-providers-amazon with s3fs for `s3://`). Every step that writes or reads landed
files (extractors, quality gates, reconciliation, the PostgreSQL load, report deliveries, dbt on
DuckDB) goes through the functions here, so none of them assumes a local path.

What differs between the two kinds of store is kept here too:
- Writing: a local file is written under a temporary name and renamed over the target (a reader
  sees the old file or the new one); an object store makes an object visible only once its upload
  completes, so an object is written in place.
- DuckDB (dbt's sources, the reconciliation) reads local files: for object storage it reads a
  local mirror of the landing zone, kept up to date by `local_copy`."""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from airflow.sdk import ObjectStoragePath

LANDING_URL_ENV = "PIPELINE_LANDING_URL"
LANDING_CONN_ENV = "PIPELINE_LANDING_CONN_ID"

# Schemes DuckDB and the operating system read as plain local paths. (pyarrow is imported where
# it is used: DAG files import core.paths, and must parse without it.)
_LOCAL_SCHEMES = ("file", "")
# What filesystems report as an object's version: local and memory, S3, GCS, Azure.
_VERSION_KEYS = ("ETag", "mtime", "LastModified", "updated", "last_modified", "created")


# Besides a permission refusal: a read-only filesystem, and a file where a folder should be.
_REFUSED = (errno.EROFS, errno.ENOTDIR, errno.EEXIST)


class StorageError(RuntimeError):
    """The landing zone's location is not usable (unknown scheme, missing provider or connection)."""


class FolderNotWritableError(StorageError):
    """The operating system refuses to write in a folder of the pipeline: retrying does not help."""


@contextmanager
def writing_in(folder: Path, operation: str, fix: str | None = None) -> Iterator[None]:
    """Turn the operating system's refusal to write in `folder` into an error that names the
    folder, the operation and what to do, instead of a bare PermissionError."""
    try:
        yield
    except OSError as exc:
        if not isinstance(exc, PermissionError) and exc.errno not in _REFUSED:
            raise
        raise FolderNotWritableError(
            f"{operation}: cannot write in {folder} ({exc.strerror}: {exc.filename}). "
            + (
                fix
                or f"Make {folder} writable by the user the pipeline runs as (the Airflow worker's), "
                "or set PIPELINE_DATA_DIR to a writable folder"
            )
        ) from exc


def location(where: str | os.PathLike[str] | ObjectStoragePath, conn_id: str | None = None) -> ObjectStoragePath:
    """`where` (a local path, or a URL such as `s3://bucket/landing`) as an ObjectStoragePath."""
    from airflow.sdk import ObjectStoragePath

    if isinstance(where, ObjectStoragePath):
        return where
    text = os.fspath(where)
    if "://" not in text:
        # Not Path.as_uri(): it would percent-encode the `=` of `date=` folders into the path.
        text = f"file://{Path(text).resolve()}"
    path = ObjectStoragePath(text, conn_id=conn_id)
    try:
        # Resolve the filesystem now, so a missing provider or connection fails here, named.
        _ = path.fs
    except (ValueError, ImportError) as exc:
        raise StorageError(
            f"landing zone {text}: {exc}. Install the Airflow provider for the {path.protocol}:// scheme "
            f"(s3://: apache-airflow-providers-amazon[s3fs]; gs://: apache-airflow-providers-google; "
            f"abfs://: apache-airflow-providers-microsoft-azure), or set {LANDING_URL_ENV} to a local folder"
        ) from exc
    return path


def local_path(path: ObjectStoragePath) -> Path | None:
    """The path on the local disk, or None for object storage."""
    return Path(path.path) if path.protocol in _LOCAL_SCHEMES else None


def read_table(path: ObjectStoragePath, columns: list[str] | None = None) -> pa.Table:
    import pyarrow.parquet as pq

    local = local_path(path)
    if local is not None:
        return pq.read_table(local, columns=columns)
    with path.open("rb") as handle:
        return pq.read_table(handle, columns=columns)


def read_schema(path: ObjectStoragePath) -> pa.Schema:
    return parquet_file(path).schema_arrow


def parquet_file(path: ObjectStoragePath) -> pq.ParquetFile:
    import pyarrow as pa
    import pyarrow.parquet as pq

    local = local_path(path)
    if local is not None:
        return pq.ParquetFile(local)
    # The whole object, once: a partition is one account-day, small, and a ParquetFile over a
    # remote handle would keep a connection open for as long as it lives.
    with path.open("rb") as handle:
        return pq.ParquetFile(pa.BufferReader(handle.read()))


def write_table(table: pa.Table, target: ObjectStoragePath) -> None:
    """Write `table` so that a reader sees the previous object or the whole new one."""
    import pyarrow.parquet as pq

    _write(target, lambda handle: pq.write_table(table, handle))


def write_text(text: str, target: ObjectStoragePath) -> None:
    _write(target, lambda handle: handle.write(text.encode("utf-8")))


def _write(target: ObjectStoragePath, write: Callable[[BinaryIO], object]) -> None:
    """Write a file whole: an object in place (a store shows it once its upload completes); a
    local file under a temporary name, renamed over the target."""
    local = local_path(target)
    if local is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            write(handle)
        return
    fix = (
        f"Make {local.parent} writable by the user the pipeline runs as (the Airflow worker's), or set "
        f"PIPELINE_DATA_DIR (or {LANDING_URL_ENV} for the landing zone) to a writable location"
    )
    with writing_in(local.parent, f"writing {local.name}", fix):
        replace_file(local, write)


def remove_temporaries(folder: ObjectStoragePath | Path, name_glob: str) -> None:
    """Remove the temporaries `replace_file` leaves when killed before its rename, of the files in
    `folder` whose names match `name_glob` (object storage has none: objects are written in place)."""
    local = folder if isinstance(folder, Path) else local_path(folder)
    if local is None or not local.is_dir():
        return
    for leftover in local.glob(f".{name_glob}.*.tmp"):
        leftover.unlink(missing_ok=True)


def replace_file(local: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write a local file under a hidden temporary name, then rename it over `local`, so a reader
    sees the old file or the new one.

    Temporaries of this same file that are already there are removed first: they were left by an
    earlier attempt that was killed before its rename (kill -9, a lost worker). Only this file's:
    one task writes a given file in a run, so they cannot belong to a live writer, while the
    temporaries of other files in the folder may (extract tasks of other accounts write the same
    partition folder at the same time). Their age would not tell: a paused writer keeps an old
    mtime, and workers' clocks differ. Each file's leftovers go when that file is next written
    (the retry of the killed task, or a rerun of the day)."""
    local.parent.mkdir(parents=True, exist_ok=True)
    remove_temporaries(local.parent, local.name)
    # Dot-prefixed so that `*.parquet` globs (dbt sources, the gate) never pick it up.
    tmp = local.with_name(f".{local.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, local)
    finally:
        tmp.unlink(missing_ok=True)


def move(source: ObjectStoragePath, target: ObjectStoragePath) -> None:
    """Move one file within a store, replacing `target` (on object storage: copy, then delete)."""
    local_source, local_target = local_path(source), local_path(target)
    if local_source is not None and local_target is not None:
        local_target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(local_source, local_target)
        return
    source.fs.mv(source.path, target.path)


def uri(path: ObjectStoragePath) -> str:
    """How a landed file is named to readers (DuckDB's `filename` column): the local path, or the URL."""
    local = local_path(path)
    return str(local) if local is not None else str(path)


def local_copy(root: ObjectStoragePath, mirror: Path) -> Path:
    """A local folder holding what `root` holds, for DuckDB (dbt's sources, the reconciliation):
    `root` itself when it is local; otherwise `mirror`, brought up to date with the store.

    DuckDB could read object storage itself, through its httpfs extension or a registered fsspec
    filesystem, but neither serves here: httpfs is downloaded on first use (not from a lock file,
    and not on a machine without internet), and DuckDB 2.0 read Parquet through a registered
    fsspec filesystem backed by files wrongly (TProtocolException, Snappy failures) in 10 of 10
    scans with 4 threads and 3 of 10 with one (20 files of 200,000 rows, 10 row groups each).

    A mirror reads each object once: an object is downloaded again only when its size or version
    changes, and files the store no longer holds (a quarantined partition) leave the mirror, so a
    build never reads them."""
    import json

    local = local_path(root)
    if local is not None:
        return local
    mirror.mkdir(parents=True, exist_ok=True)
    manifest_file = mirror / ".manifest.json"
    known: dict[str, list] = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
    listing = root.fs.find(root.path, detail=True) if root.exists() else {}
    current: dict[str, list] = {}
    prefix = root.path.rstrip("/") + "/"
    for name, info in listing.items():
        relative = name.removeprefix(prefix).lstrip("/")
        if info.get("type") != "file" or not relative.endswith(".parquet") or "/." in f"/{relative}":
            continue
        version = next((str(info[key]) for key in _VERSION_KEYS if info.get(key)), "")
        stamp = [info.get("size"), version]
        current[relative] = stamp
        target = mirror / relative
        if version and known.get(relative) == stamp and target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # A download killed before its rename (one build refreshes the mirror at a time).
        for leftover in target.parent.glob(f".{target.name}.*.tmp"):
            leftover.unlink(missing_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            root.fs.get_file(name, str(tmp))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    for stale in set(known) - set(current):
        (mirror / stale).unlink(missing_ok=True)
    for path in sorted(mirror.rglob("*.parquet")):
        if path.relative_to(mirror).as_posix() not in current:
            path.unlink()
    manifest_file.write_text(json.dumps(current, sort_keys=True))
    return mirror
