"""The register's kept facts (`Kept`): lent snapshots never change, and each one holds what the dict the
register kept before would have held, in the same order; a change after a read is not a copy of them all."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import pytest

from registry.projections import register
from registry.projections.register import Kept, _put


class OldKept:
    """The facts as the register kept them before: one dict, copied at the first change after it was lent."""

    def __init__(self) -> None:
        self.d: dict[str, Any] = {}
        self.lent = False

    def put(self, key: str, value: Any) -> bool:
        if self.lent:
            if self.d.get(key) == value:
                return False
            self.d, self.lent = dict(self.d), False
        return _put(self.d, key, value)

    def lend(self) -> list[tuple[str, Any]]:
        self.lent = True
        return list(self.d.items())


def as_list(m: Mapping[str, Any]) -> list[tuple[str, Any]]:
    out = list(m.items())
    assert len(m) == len(out) and list(m) == [k for k, _v in out]
    for k, v in out:
        assert k in m and m[k] == v and m.get(k) == v
    return out


@pytest.mark.parametrize("seed", range(6))
def test_snapshots_hold_what_the_old_dict_held(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(register, "FOLD_AT", 16)  # folds happen within the run, at several sizes
    rng = random.Random(seed)
    keys = [f"https://registry.example.org/dataset/d{i}" for i in range(rng.choice([5, 40, 300]))]
    values = [None, ("a",), ("b",), ("a", "b"), ("c",)]
    new, old = Kept[tuple[str, ...]](), OldKept()
    lent: list[tuple[Mapping[str, Any], list[tuple[str, Any]]]] = []
    for _ in range(3000):
        if rng.random() < 0.04:
            lent.append((new.lend(), old.lend()))
            assert as_list(lent[-1][0]) == lent[-1][1]
            continue
        key, value = rng.choice(keys), rng.choice(values)
        assert new.put(key, value) == old.put(key, value)
        assert new.get(key) == old.d.get(key)
    for snapshot, then in lent:
        assert as_list(snapshot) == then, "a snapshot lent stays as it was"
    assert as_list(new.lend()) == old.lend()
    assert snapshot.get("https://registry.example.org/dataset/none") is None
    with pytest.raises(KeyError):
        snapshot["https://registry.example.org/dataset/none"]


def test_a_change_after_a_read_is_not_a_copy_of_every_record() -> None:
    kept: Kept[int] = Kept()
    for i in range(50_000):
        kept.put(f"d{i}", i)
    base = kept.base
    before = kept.lend()
    assert kept.put("d7", -7) and kept.put("new", 1) and kept.put("d8", None)
    assert kept.base is base, "the lent dict stays, the changes go over it"
    assert before["d7"] == 7 and "new" not in before and before["d8"] == 8 and len(before) == 50_000
    after = kept.lend()
    assert after["d7"] == -7 and after["new"] == 1 and "d8" not in after and len(after) == 50_000
    assert list(after)[-2:] == ["d7", "new"], "a changed record moves to the end, as the dict's pop and set did"
    for i in range(50_000 // register.FOLD_ONE_IN):
        kept.put(f"d{i}", i + 1)
    assert kept.base is not base and kept.get("d9") == 10, "folded into a new dict once the changes are many"
    assert before["d9"] == 9 and after["d9"] == 9
