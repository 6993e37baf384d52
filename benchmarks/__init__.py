"""Benchmarks: the product measured at 10 thousand, 100 thousand and 1 million survey responses (`make bench`)."""
