"""What AWS's SAM transform costs the harness: the import of samtranslator (in a fresh interpreter that has already
imported the harness's template loader and boto3, as a simulation has) and one transform per repository template,
next to the harness's own template load. CPU seconds (time.process_time), so other load on the machine matters less.

    .venv/bin/python bench/sam_translate_bench.py
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORT = """
import time, boto3, harness.template, harness.sources
t = time.process_time()
from harness import sam_translate
sam_translate._run_transform  # the module itself is light; samtranslator is imported by the first transform
import samtranslator.translator.translator, samtranslator.parser.parser
print(time.process_time() - t)
"""


def main() -> None:
    """Print the import cost and per-template costs (median, max) of the transform and of the harness's load."""
    imports = sorted(float(subprocess.run([sys.executable, "-c", IMPORT], cwd=ROOT, capture_output=True, text=True,
                                          check=True).stdout) for _ in range(3))
    print(f"import samtranslator: median {imports[1] * 1000:.0f} ms CPU (3 fresh interpreters)")
    from harness import sam_translate
    from harness.template import load_template
    sam_translate.translate(ROOT / "handlers/messages/template.yaml")  # warm: imports done
    templates = sorted([*ROOT.glob("handlers/*/template.yaml"), *ROOT.glob("tests/**/template.yaml")])
    translate, load, cached = [], [], []
    for path in templates:
        sam_translate._cached.cache_clear()
        start = time.process_time()
        sam_translate.translate(path)
        translate.append(time.process_time() - start)
        start = time.process_time()
        sam_translate.translate(path)
        cached.append(time.process_time() - start)
        start = time.process_time()
        load_template(path)
        load.append(time.process_time() - start)
    for name, values in (("transform (aws-sam-translator)", translate), ("transform, cached", cached),
                         ("harness load_template", load)):
        print(f"{name}: median {statistics.median(values) * 1000:.2f} ms, max {max(values) * 1000:.2f} ms "
              f"CPU over {len(values)} templates")


if __name__ == "__main__":
    main()
