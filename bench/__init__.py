"""Benchmarks: each prints its own numbers and ratios against baselines measured in the same run."""
