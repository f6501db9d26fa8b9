"""`python -m ops audit URL`: a security audit of a deployed edge, as an outside auditor sees it.

Seven tests (the categories of `ops.audit.catalog`), one finding per failed check, scored with the
policy gate's formula. `checks` runs the probes, `tls` scans protocols and suites with sslyze,
`report` scores and renders. docs/audit.md describes every check.
"""
