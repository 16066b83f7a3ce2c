"""The benchmark suite: every benchmark in its own subprocess, judged by ratios.

General layout:
  runner.py     `python -m bench [--quick] [--check] [name ...]`: runs each benchmark
                folder, writes results/<timestamp>.json, prints the table
  baseline.py   the committed baseline.json: per-metric ratios and the regression rule
  table.py      the printed summary
  result.py     what a benchmark prints: metrics with their reference, machine facts
  timing.py     the one timing loop the Python-side measurements share
  <name>/run.py one benchmark (crypto/, ...): builds its data outside the timed part
                and prints ONE JSON object on stdout

Absolute numbers are noisy on shared machines, so every metric carries a reference
measured in the same run, and only the ratio to it is compared against the baseline.
"""
