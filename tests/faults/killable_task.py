"""One task of the nightly DAG in its own process, for the kill -9 rows of the fault matrix.

    python -m tests.faults.killable_task <task> <ready file> [<rename pattern>]

With a rename pattern, the process stops at the first rename whose source or target path contains
it, before renaming: the file is written, not yet in place. It then writes the ready file and
waits to be killed, so the kill lands at that step every time. The environment (PIPELINE_DATA_DIR,
PIPELINE_CONFIG, the connections) is the parent's."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from tests.faults.fault_nights import LOGICAL_DATE, PAGE, RUN_ID


def stop_at_rename(pattern: str, ready: Path) -> None:
    rename = os.replace

    def replace(src, dst, *args, **kwargs):
        if pattern in os.fspath(src) or pattern in os.fspath(dst):
            ready.write_text(f"{os.fspath(src)} -> {os.fspath(dst)}\n")
            threading.Event().wait()  # until the SIGKILL
        return rename(src, dst, *args, **kwargs)

    os.replace = replace


def main(task: str, ready: str, pattern: str = "") -> None:
    from core.paths import data_paths
    from nightly import tasks
    from sources.config import load_config
    from warehouse import build as warehouse

    if pattern:
        stop_at_rename(pattern, Path(ready))
    if task == "extract":
        tasks.extract_api_account("facebook_pages", PAGE, LOGICAL_DATE, RUN_ID)
    elif task == "landing_gate":
        tasks.landing_gate(LOGICAL_DATE, RUN_ID)
    elif task == "build":
        from core.windows import partition_date_for

        config = load_config()
        warehouse.build(data_paths(), config, partition_date_for(LOGICAL_DATE, config.organisation.tz), docs=False)
    elif task == "publish":
        tasks.publish()
    else:
        raise SystemExit(f"unknown task {task!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
