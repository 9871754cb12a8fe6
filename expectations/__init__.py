"""Quality gates: Great Expectations suites as code (one module per source or mart family) and
the runner that validates data and renders Data Docs."""
