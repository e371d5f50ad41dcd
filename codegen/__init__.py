"""Build-time tooling: upstream OpenAPI -> spec/ (extract) -> generated code (generate)."""
