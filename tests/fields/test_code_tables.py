"""The shipped code tables, their manifest, and operator overrides (EPORT_CODES_DIR)."""

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest

from core_ext.code_tables import shipped_dir
from core_ext.fields import (
    TABLE_SPECS,
    CodeTableError,
    CodeTables,
    FieldError,
    check_code,
    default_tables,
)

SHIPPED = shipped_dir()
MANIFEST = json.loads((SHIPPED / "manifest.json").read_text("utf-8"))["files"]


def test_every_table_loads_with_its_metadata() -> None:
    tables = CodeTables()
    tables.load_all()
    for name in TABLE_SPECS:
        table = tables[name]
        entry = MANIFEST[f"{name}.csv"]
        assert len(table) == table.row_count == entry["rows"] > 0
        assert table.sha256 == entry["sha256"]
        assert table.version == entry["version"]
        assert not table.overridden


def test_manifest_matches_every_shipped_file() -> None:
    files = {p.name for p in SHIPPED.glob("*.csv")}
    assert files == set(MANIFEST)
    for name, entry in MANIFEST.items():
        raw = (SHIPPED / name).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == entry["sha256"], (
            f"update manifest.json for {name}"
        )
        rows = list(csv.reader(raw.decode("utf-8").splitlines()))
        assert len(rows) - 1 == entry["rows"], name


def test_every_district_has_a_recorded_source_whose_key_is_documented() -> None:
    with (SHIPPED / "customs_districts_sources.csv").open(encoding="utf-8", newline="") as f:
        attestations = list(csv.DictReader(f))
    attested = {row["code"] for row in attestations}
    assert set(default_tables()["customs_districts"]) <= attested
    readme = (SHIPPED / "README.md").read_text("utf-8")
    for key in {row["source_key"] for row in attestations}:
        assert re.search(rf"\b{re.escape(key)}\b", readme), key


def test_lookups() -> None:
    tables = default_tables()
    assert "0110" in tables["trade_modes"]
    assert tables["trade_modes"].name("0110") == "一般贸易"
    assert tables["currencies_numeric"].name("502") == "美元"
    assert tables["currencies_numeric"].row("502") == {
        "code": "502",
        "iso": "USD",
        "name_zh": "美元",
    }
    assert tables["units"].name("999") is None
    assert tables["units"].row("999") is None
    assert tables["customs_districts"].name("2300") == "南京海关"
    assert 110 not in tables["trade_modes"]
    assert ["0110"] not in tables["trade_modes"]


def test_codes_are_case_sensitive() -> None:
    channels = default_tables()["declaration_channels"]
    assert "a" in channels and "A" in channels
    assert channels.name("a") != channels.name("A")
    check_code("countries_iso", "CHN")
    with pytest.raises(FieldError) as info:
        check_code("countries_iso", "chn")
    assert info.value.reason == "unknown_code"
    with pytest.raises(FieldError) as info:
        check_code("countries_iso", 156)
    assert info.value.reason == "not_string"


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def test_override_replaces_only_its_own_table(tmp_path: Path) -> None:
    path = write(tmp_path, "units", "code,name_zh\n035,千克\n009,头\n900,新单位\n")
    tables = CodeTables.from_environ({"EPORT_CODES_DIR": str(tmp_path)})
    units = tables["units"]
    assert units.overridden and units.path == path and str(path) in units.source
    assert len(units) == 3 and "900" in units and "001" not in units
    assert units.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not tables["trade_modes"].overridden
    check_code("units", "900", tables)
    with pytest.raises(FieldError):
        check_code("units", "001", tables)


def test_hs_units_are_checked_against_the_units_in_use(tmp_path: Path) -> None:
    write(tmp_path, "units", "code,name_zh\n001,台\n")
    tables = CodeTables(tmp_path)
    with pytest.raises(CodeTableError, match="not in units"):
        tables["hs_codes"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,name\n0110,一般贸易\n", "header"),
        ("\ufeffcode,name_zh\n0110,一般贸易\n", "header"),
        ("", "header"),
        ("code,name_zh\n", "no rows"),
        ("code,name_zh\n0110,一般贸易\n0110,重复\n", "duplicate code '0110'"),
        ("code,name_zh\n0110,一般贸易,extra\n", "has 3 values"),
        ("code,name_zh\n0110\n", "has 1 values"),
        ("code,name_zh\n0110 ,一般贸易\n", "stray"),
        ("code,name_zh\n0110,一般\x00贸易\n", "stray"),
        ("code,name_zh\n110,一般贸易\n", "does not match"),
        ("code,name_zh\n0110,\n", "empty name_zh"),
        ('code,name_zh\n0110,"一般贸易\n', "unexpected end of data"),
    ],
)
def test_bad_override_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "trade_modes", text)
    with pytest.raises(CodeTableError, match=re.escape(message)) as info:
        CodeTables(tmp_path)["trade_modes"]
    assert "trade_modes.csv" in str(info.value)


def test_non_utf8_override_is_refused(tmp_path: Path) -> None:
    (tmp_path / "trade_modes.csv").write_bytes("code,name_zh\n0110,一般贸易\n".encode("gbk"))
    with pytest.raises(CodeTableError, match="not UTF-8"):
        CodeTables(tmp_path)["trade_modes"]


def test_override_directory_must_exist(tmp_path: Path) -> None:
    with pytest.raises(CodeTableError, match="not a directory"):
        CodeTables(tmp_path / "missing")["units"]


def test_a_directory_named_like_a_table_is_not_an_override(tmp_path: Path) -> None:
    (tmp_path / "units.csv").mkdir()
    tables = CodeTables(tmp_path)
    assert not tables["units"].overridden  # a directory is not an override file


def test_tables_are_loaded_once(tmp_path: Path) -> None:
    path = write(tmp_path, "units", "code,name_zh\n001,台\n")
    tables = CodeTables(tmp_path)
    first = tables["units"]
    path.write_text("garbage", "utf-8")
    assert tables["units"] is first
