"""A gateway refuses to start on a damaged code table instead of failing documents later."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.platform import init_home
from tests.e2e.gateway import start_gateway


def test_a_damaged_code_table_stops_the_start(tmp_path: Path, gateway_database: str) -> None:
    codes = tmp_path / "codes"
    codes.mkdir()
    (codes / "units.csv").write_text("code,name_zh\n001,台\n001,座\n", encoding="utf-8")
    init_home(tmp_path / "home")
    with pytest.raises(RuntimeError, match=r"units\.csv"):
        start_gateway(tmp_path, gateway_database, env={"EPORT_CODES_DIR": str(codes)})
