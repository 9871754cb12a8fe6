"""The warehouse: build with dbt, check, publish and read, on DuckDB or PostgreSQL."""
