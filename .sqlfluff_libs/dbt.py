"""What sqlfluff's jinja templater renders for dbt's cross-database macros (`dbt.date_trunc`, ...).

The models call them so the project stays adapter-agnostic; the linter does not run dbt, so this
module gives it the DuckDB SQL those macros compile to (sqlfluff loads every module of
`library_path` into the template context under its name)."""


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"({from_date_or_timestamp} + interval ({interval}) {datepart})"


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def last_day(date, datepart):
    return f"cast(date_trunc('{datepart}', {date}) + interval 1 {datepart} - interval 1 day as date)"


def bool_or(expression):
    return f"bool_or({expression})"


def type_string():
    return "varchar"
