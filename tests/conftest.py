"""Fixtures running the SM2/SM3 tests against both implementations.

The compiled extensions are expected to be built; a missing one fails the tests
unless EPORT_ALLOW_PURE=1 (then only the pure twins run).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

ALLOW_PURE = os.environ.get("EPORT_ALLOW_PURE") == "1"


def _implementation(name: str, kind: str) -> ModuleType:
    if kind == "pure":
        return importlib.import_module(f"core_ext.{name}_pure")
    try:
        return importlib.import_module(f"core_ext.{name}")
    except ImportError:
        if ALLOW_PURE:
            pytest.skip(f"core_ext.{name} is not built and EPORT_ALLOW_PURE=1")
        pytest.fail(f"core_ext.{name} is not built (set EPORT_ALLOW_PURE=1 to allow that)")


@pytest.fixture(params=["compiled", "pure"])
def sm3_impl(request: pytest.FixtureRequest) -> ModuleType:
    return _implementation("_sm3", request.param)


@pytest.fixture(params=["compiled", "pure"])
def sm2_impl(request: pytest.FixtureRequest) -> ModuleType:
    return _implementation("_sm2", request.param)


@pytest.fixture
def sm2_compiled() -> ModuleType:
    return _implementation("_sm2", "compiled")


@pytest.fixture
def sm3_compiled() -> ModuleType:
    return _implementation("_sm3", "compiled")
