"""Scheduled report exports: XLSX, PDF and CSV built from the published warehouse (read-only) for a
reporting period and an optional filter, emailed and copied to folders or object storage, each
period sent once (`report_deliveries`).

Modules: `periods` (which period a run covers, in the organisation's timezone), `schedule` (the
DAG's timetable), `queries` (the figures), `formatting` and `charts` (shared by every format),
`xlsx`, `pdf`, `csv_extracts`, `build` (one report's files), `deliveries` (the record), `delivery`
(email and copies), `tasks` (what the DAG calls). Only `periods` and `schedule` are imported when a
DAG file is parsed; the rest loads inside tasks."""
