"""The async shell: HTTP/WebSocket server, store adapter, command line.

General layout:
  config.py    the one Config class (defaults, EPORT_* environment, TOML file)
  store/       PostgreSQL (the only place that imports asyncpg), embedded server
  app.py       quart-trio application
  cli.py       the `eport` command
"""
