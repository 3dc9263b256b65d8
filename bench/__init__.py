"""Benchmarks: `make bench`. Not part of `make test`; timings are printed, never asserted."""
