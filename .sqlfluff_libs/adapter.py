"""What sqlfluff's jinja templater finds for `adapter.dispatch`: the implementation dbt-duckdb
picks (`duckdb__<macro>`, else `default__<macro>`), so the linter checks the SQL of the default
target. Other adapters' branches are not linted (they need not be valid DuckDB SQL)."""

from jinja2 import pass_context


@pass_context
def dispatch(context, macro_name, macro_namespace=None):
    for prefix in ("duckdb__", "default__"):
        macro = context.get(prefix + macro_name)
        if macro is not None:
            return macro
    raise LookupError(f"no duckdb__{macro_name} or default__{macro_name} macro in dbt/macros")
