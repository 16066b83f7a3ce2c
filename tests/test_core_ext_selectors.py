"""The selector modules: the compiled extension must be the one loaded (unless
EPORT_ALLOW_PURE=1), and both implementations expose the same public API."""

from __future__ import annotations

import importlib
import os

import pytest

from core_ext import _sm2_pure, _sm3_pure, sm2, sm3

ALLOW_PURE = os.environ.get("EPORT_ALLOW_PURE") == "1"
SM2_API = {
    "DEFAULT_UID",
    "Presigner",
    "generate_private_key",
    "public_key",
    "sig_from_der",
    "sig_to_der",
    "sign",
    "verify",
    "verify_batch",
    "verify_reason",
    "za",
}


@pytest.mark.parametrize("selector", [sm2, sm3])
def test_compiled_module_is_loaded(selector: object) -> None:
    if not selector.COMPILED and ALLOW_PURE:
        pytest.skip("EPORT_ALLOW_PURE=1: the pure twin is accepted")
    assert selector.COMPILED, f"{selector} fell back to the pure twin"
    selector.require_compiled()


def test_require_compiled_refuses_the_pure_twin(monkeypatch: pytest.MonkeyPatch) -> None:
    for selector in (sm2, sm3):
        monkeypatch.setattr(selector, "COMPILED", False)
        with pytest.raises(RuntimeError, match="not built"):
            selector.require_compiled()


def test_selectors_export_their_api() -> None:
    assert set(sm2.__all__) == SM2_API | {"COMPILED", "REASONS", "require_compiled"}
    assert set(sm3.__all__) == {"COMPILED", "SM3", "digest", "require_compiled"}
    for name in sm2.__all__:
        assert hasattr(sm2, name)
    assert sm2.DEFAULT_UID == b"1234567812345678"


def test_both_implementations_have_the_same_api() -> None:
    compiled_sm2 = importlib.import_module("core_ext._sm2")
    compiled_sm3 = importlib.import_module("core_ext._sm3")
    for name in [*SM2_API, "_sign_with_nonce_for_tests"]:
        assert hasattr(compiled_sm2, name) and hasattr(_sm2_pure, name), name
    for name in ["SM3", "digest"]:
        assert hasattr(compiled_sm3, name) and hasattr(_sm3_pure, name), name


def test_reasons_are_documented_in_the_selector() -> None:
    assert sm2.__doc__ is not None
    for reason in sm2.REASONS:
        assert f"    {reason} " in sm2.__doc__
