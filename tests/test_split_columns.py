"""The numpy cell splitter (dosing.io.split._split_columns) returns exactly what pandas' C reader returned.

The fast CSV path used to hand the good lines to `pandas.read_csv(dtype=object)`;
it now cuts the cells at the comma positions itself and finds each column's
distinct texts by hashing 64-bit words. `_pandas_cells` below is the old reader,
kept here as the reference: the two must agree cell for cell on every fixture
and on logs built to stress the word reading (cells of 0 to 40 bytes, multi-byte
UTF-8, spaces, CRLF, a last line without a line feed, refused lines between).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dosing.io import split

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = sorted(p for p in (ROOT / "fixtures").rglob("*.csv"))


def _splits(path: Path) -> bool:
    """Quote-free (the fast path) and not refused whole (a fatal header problem splits nothing)."""
    data = path.read_bytes()
    if b'"' in data or data.count(b"\r") != data.count(b"\r\n"):  # the csv module's path
        return False
    try:
        split.read_csv_bytes(data)
    except split.LogFormatError:
        return False
    return True


def _pandas_cells(data: bytes) -> dict[str, list[str]]:
    """The good lines' cells as the old fast path read them: pandas' C reader on the good lines only."""
    arr = np.frombuffer(data, dtype=np.uint8)
    table = split.read_csv_bytes(data)
    starts, _, nxt = split._line_bounds(data, arr)
    body = b"".join(data[starts[i - 1]:nxt[i - 1]] for i in table.lines.tolist())
    names = list(table.header.positions)
    df = pd.read_csv(io.BytesIO(body), header=None, names=list(range(table.header.width)),
                     usecols=[table.header.positions[f] for f in names], dtype=object, keep_default_na=False,
                     na_filter=False, engine="c", encoding="utf-8", quoting=csv.QUOTE_NONE, skip_blank_lines=False)
    return {f: df[table.header.positions[f]].tolist() if len(table.lines) else [] for f in names}


def _ours(data: bytes) -> dict[str, list[str]]:
    table = split.read_csv_bytes(data)
    for f, (codes, texts) in table.coded.items():  # the codes describe the same cells
        assert texts[codes].tolist() == table.cells[f].tolist()
        assert len(set(texts.tolist())) == len(texts)  # each distinct text once
    return {f: c.tolist() for f, c in table.cells.items()}


@pytest.mark.parametrize("path", [p for p in FIXTURES if _splits(p)], ids=lambda p: p.name)
def test_every_quote_free_fixture_splits_as_pandas_split_it(path):
    data = path.read_bytes()
    assert _ours(data) == _pandas_cells(data)


@pytest.mark.parametrize("seed", range(8))
def test_cells_of_every_length_and_alphabet_split_as_pandas_split_them(seed):
    rng = np.random.default_rng(seed)
    alphabet = list("abcXYZ0123456789.- _/") + ["é", "µ", "–", "漢", "😀"]
    header = "patient_id,date,event,weight,note"
    lines = [header]
    for _ in range(300):
        cells = ["".join(rng.choice(alphabet, rng.integers(0, 41))) for _ in range(5)]
        if rng.random() < 0.05:
            cells.append("extra")  # a refused line (wrong field count) between good ones
        lines.append(",".join(cells))
    eol = "\r\n" if seed % 2 else "\n"
    text = eol.join(lines) + ("" if seed % 3 == 0 else eol)  # sometimes no final line feed
    data = text.encode("utf-8")
    ours, theirs = _ours(data), _pandas_cells(data)
    assert ours == theirs
    assert len(ours["note"]) > 250


def test_cells_sharing_their_first_eight_or_sixteen_bytes_stay_apart():
    ids = ["ABCDEFGH", "ABCDEFGHI", "ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOPQ", "ABCDEFGHIJKLMNOP ", "ABCDEFG",
           "ABCDEFGH "]
    text = "patient_id,date\n" + "".join(f"{p},2026-01-0{i % 9 + 1}\n" for i, p in enumerate(ids * 3))
    table = split.read_csv_bytes(text.encode())
    assert table.cells["patient_id"].tolist() == ids * 3
    codes, texts = table.coded["patient_id"]
    assert sorted(texts.tolist()) == sorted(ids)
