"""newsmon's benchmarks: the `benchmarks/*_bench.py` modules, run by `python -m benchmarks`."""
