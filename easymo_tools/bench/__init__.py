"""Benchmarks behind `easymo bench`: each prints a table, or JSON with its figures and ratio."""
