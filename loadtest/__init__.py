"""eport's own load generator (trio): drivers, corpus, scenarios, reports.

Run ``python -m loadtest --help``; loadtest/README.md documents every scenario.
"""
