"""Run every benchmark in this folder and print its figures (`make bench`).

Each bench_*.py has `main() -> dict` returning named figures; results also go
to benchmarks/results/<name>.json so a note can quote the exact numbers.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    only = sys.argv[1:]
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if only and name not in only:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {name}: {module.__doc__.strip().splitlines()[0] if module.__doc__ else ''}", flush=True)
        figures = module.main()
        figures["machine"] = f"{platform.machine()} {platform.python_version()} {platform.system()}"
        for key, value in figures.items():
            print(f"   {key:38} {value}")
        (out_dir / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
