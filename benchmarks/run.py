"""The benchmarks' entry point: `python -m benchmarks.run` (and `make bench`) runs benchmarks.harness.main.

    python -m benchmarks.run [--scales 10000,100000,1000000] [--out docs/benchmarks.md] [--keep DIR]

The harness (benchmarks/harness.py) runs each step in a fresh child process through this same entry point,
`python -m benchmarks.run --worker NAME ...`; the workers are in benchmarks/workers.py, the report in
benchmarks/report.py, the settings and goals they share in benchmarks/settings.py.
"""

import sys

from benchmarks.harness import main

if __name__ == "__main__":
    sys.exit(main())
