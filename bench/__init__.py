"""Load benchmark of the production server: `make bench` (see bench/run.py)."""
