"""Servers the HTTP benchmarks start as separate processes (each reads PORT)."""
