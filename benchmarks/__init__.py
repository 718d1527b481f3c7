"""The benchmarks, importable as a package so the tests can build the same graphs
(``from benchmarks import workload``); run them as scripts with ``python benchmarks/run.py``."""
