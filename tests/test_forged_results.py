"""What comes back from the verification sandbox is untrusted (harness.loads / decode,
verify._safe_loads): forged archives are refused before anything large is allocated, and
every message that reaches a CSV or a page is capped."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from collections.abc import Callable
from typing import Any

import nbformat
import numpy as np
import pytest

from autograder.grading.verify import MAX_MESSAGE, _safe_loads, verify
from autograder.sandbox.base import Unsandboxed
from backprop_kit import harness
from backprop_kit.harness import DecodeError, Outcome, dumps, loads
from backprop_ref.specs import LESSONS, SPECS
from backprop_ref.specs.registry import lesson_of
from tests.test_mutants import _solution_namespace

LINEAR = LESSONS["03_linear_layer"]


def npy(descr: str, shape: tuple[int, ...], data: bytes = b"", fortran: bool = False) -> bytes:
    """A .npy member with any header we like (what a forger writes)."""
    f = io.BytesIO()
    header = {"descr": descr, "fortran_order": fortran, "shape": shape}
    np.lib.format.write_array_header_1_0(f, header)
    return f.getvalue() + data


def archive(
    members: dict[str, bytes], text: Any = None, compress: int = zipfile.ZIP_STORED
) -> bytes:
    """An .npz: the members given, and a JSON part (by default: one outcome of array a0)."""
    if text is None:
        text = [
            {"__outcome__": {"__dict__": [["values", {"__dict__": [["r", {"__array__": "a0"}]]}]]}}
        ]
    raw = text if isinstance(text, bytes) else json.dumps(text).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as z:
        for name, data in members.items():
            z.writestr(f"{name}.npy", data)
        z.writestr("__json__.npy", npy("|u1", (len(raw),), raw))
    return buf.getvalue()


def refused(data: bytes, needle: str = "") -> str:
    with pytest.raises(DecodeError) as info:
        _safe_loads(data)
    assert needle in str(info.value), str(info.value)
    return str(info.value)


def peak_bytes(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
    except DecodeError:
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_honest_results_round_trip() -> None:
    outcome = Outcome(values={"y": np.arange(6.0).reshape(2, 3).T, "n": 3}, error=None)
    (back,) = _safe_loads(dumps([outcome]))
    np.testing.assert_array_equal(back.values["y"], np.arange(6.0).reshape(2, 3).T)
    assert back.values["n"] == 3


@pytest.mark.parametrize(
    "shape", [(10_000_000, 0), (0, 3_000_000), (2_000_000, 0, 0), (1,) * 9, (2000, 2000)]
)
def test_a_tiny_archive_claiming_millions_of_entries(shape: tuple[int, ...]) -> None:
    data = archive({"a0": npy("<f8", shape)})
    assert len(data) < 600
    refused(data)


def test_a_claimed_size_that_would_fit_in_ram_is_not_allocated() -> None:
    data = archive({"a0": npy("<f8", (1_000_000,), b"\0" * 64)})  # 8 MB claimed, 64 there
    refused(data, "claimed")
    assert peak_bytes(lambda: _safe_loads(data)) < 2_000_000
    refused(archive({"a0": npy("<f8", (50_000_000,), b"\0" * 64)}), "entries")
    stacked = archive({f"a{k}": npy("<f8", (1_000_000,), b"") for k in range(200)})
    refused(stacked)


@pytest.mark.parametrize(
    "descr", ["|O", "<U8", "|S8", "|V8", "<c16", "<M8[s]", "<m8[s]", [("a", "<f8")]]
)
def test_only_numeric_dtypes(descr: object) -> None:
    f = io.BytesIO()
    np.lib.format.write_array_header_1_0(f, {"descr": descr, "fortran_order": False, "shape": (1,)})
    refused(archive({"a0": f.getvalue() + b"\0" * 16}), "dtype")


def test_a_pickled_object_array_is_refused() -> None:
    f = io.BytesIO()
    np.save(f, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    refused(archive({"a0": f.getvalue()}), "dtype")


def test_fortran_order_and_odd_members() -> None:
    refused(archive({"a0": npy("<f8", (2, 2), b"\0" * 32, fortran=True)}), "Fortran")
    refused(archive({"a0": b"\x93NUMPY\x03\x00" + b"\0" * 40}), "version")
    refused(archive({"a0": b"not an array at all"}))
    refused(b"PK\x03\x04 and then nothing", "archive")
    many = archive({f"a{k}": npy("<f8", (0,)) for k in range(harness.MAX_ENTRIES + 1)})
    refused(many, "members")


def test_a_zip_bomb_is_refused_before_decompressing() -> None:
    big = npy("|u1", (200 * 1024 * 1024,), bytes(200 * 1024 * 1024))
    data = archive({"a0": big}, compress=zipfile.ZIP_DEFLATED)
    assert len(data) < 1_000_000
    refused(data, "larger than")
    assert peak_bytes(lambda: _safe_loads(data)) < 5_000_000


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deep_json(depth: int) -> None:
    text = b"[" * depth + b"]" * depth
    refused(archive({}, text), "nested too deeply")


@pytest.mark.parametrize(
    "text",
    [
        [{"__outcome__": {"__dict__": [[1, 2]]}}],
        [{"__outcome__": {"__dict__": [[["a"], 2]]}}],
        [{"__outcome__": {"__dict__": [["values", 5]]}}],
        [{"__outcome__": {"__dict__": [["secret_field", 5]]}}],
        [{"__outcome__": {"__dict__": [["error", ["not", "text"]]]}}],
        [{"__array__": "a99"}],
        [{"__array__": "a0", "extra": 1}],
        {"__import__": "os"},
    ],
)
def test_objects_that_encode_never_writes(text: object) -> None:
    with pytest.raises((DecodeError, ValueError)):
        _safe_loads(archive({"a0": npy("<f8", (1,), b"\0" * 8)}, text))


def test_a_huge_error_message_comes_back_cut() -> None:
    outcome = Outcome(error="ValueError: " + "x" * 10_000_000)
    (back,) = loads(dumps([outcome]))
    assert len(back.error) <= harness.MAX_TEXT and back.error.endswith("... cut")
    forged = [
        {
            "__outcome__": {
                "__dict__": [["error", "E" * 1_000_000], ["warnings", ["w" * 500_000] * 3]]
            }
        }
    ]
    (back,) = _safe_loads(archive({}, forged))
    assert len(back.error) <= harness.MAX_TEXT and all(len(w) <= 500 for w in back.warnings)


def test_a_students_huge_exception_gives_a_short_verdict() -> None:
    src = (
        "def linear_forward(x, W, b):\n"
        "    raise ValueError('<script>alert(1)</script>' + 'x' * 5_000_000)\n"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src)])
    verdict = verify(LINEAR, nb, seed=3, sandbox=Unsandboxed()).verdicts["linear_forward"]
    assert not verdict.passed
    assert len(verdict.message) <= MAX_MESSAGE and verdict.message.endswith("... cut")


def _replace_numbers(value: Any, by: float) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return np.full_like(value, by)
    if isinstance(value, float):
        return by
    if isinstance(value, list):
        return [_replace_numbers(v, by) for v in value]
    if isinstance(value, dict):
        return {k: _replace_numbers(v, by) for k, v in value.items()}
    return value


@pytest.mark.parametrize("by", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_nan_and_inf_never_pass(name: str, by: float) -> None:
    """The reference's own answers, every float made NaN or infinite, fail every judge."""
    spec = SPECS[name]
    cases = spec.draw("verify", 11)
    fns = _solution_namespace(lesson_of(name).name)
    floats = False
    for case in cases:
        good = harness.run_case(fns, case.inputs, spec.steps, spec.returns, spec.may_modify)
        assert good.error is None, good.error
        forged = Outcome(values=_replace_numbers(good.values, by))
        floats |= repr(forged.values) != repr(good.values)
        (back,) = _safe_loads(dumps([forged]))
        if repr(back.values) != repr(good.values):
            assert not spec.evaluate(case, back).passed, f"{name} passed with {by}"
    if not floats:
        pytest.skip(f"{name} returns no floats")


def test_round_trip_keeps_every_shape_and_order() -> None:
    """Encoding keeps 0-d arrays 0-d (a scalar gradient of shape ()) and empty axes, and
    writes Fortran-ordered arrays in C order, the only order the decoder takes."""
    from backprop_kit import harness

    data = {"a": np.array(3.0), "b": np.zeros((0, 3)), "c": np.asfortranarray(np.ones((2, 3)))}
    back = harness.loads(harness.dumps(data))
    assert {k: v.shape for k, v in back.items()} == {"a": (), "b": (0, 3), "c": (2, 3)}
