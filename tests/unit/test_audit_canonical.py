"""The canonical bytes of an event and the chain link over them."""

from __future__ import annotations

from hashlib import sha256

import pytest

from services.intake.audit.canonical import ZERO, canonical, chain, link

ROW = (7, b"0f3a", 2, b"domain.report:Report.Submitted", b'{"summary":"on dinh"}')


def test_canonical_bytes_spell_out_every_column_with_its_type_and_length() -> None:
    assert canonical(*ROW) == (
        b"7|b4|i2|b30|b21\n0f3adomain.report:Report.Submitted" + b'{"summary":"on dinh"}'
    )


def test_link_is_sha256_of_the_previous_hash_and_the_canonical_bytes() -> None:
    assert link(ZERO, ROW) == sha256(bytes(32) + canonical(*ROW)).digest()
    assert chain(ZERO, [ROW, (8, *ROW[1:])]) == [
        (7, link(ZERO, ROW)), (8, link(link(ZERO, ROW), (8, *ROW[1:])))]


def test_bytes_moved_between_columns_change_the_hash() -> None:
    pos, oid, ver, topic, state = ROW
    moved = (pos, oid, ver, topic + state[:3], state[3:])
    assert link(ZERO, moved) != link(ZERO, ROW)


@pytest.mark.parametrize("version", [2.0, b"2", "2", None, -2])
def test_odd_column_types_are_hashed_apart_from_the_usual_ones(version: object) -> None:
    odd = (ROW[0], ROW[1], version, ROW[3], ROW[4])
    assert link(ZERO, odd) == sha256(ZERO + canonical(*odd)).digest()
    assert link(ZERO, odd) != link(ZERO, ROW)


def test_text_and_bytes_of_the_same_content_hash_alike() -> None:
    as_text = (ROW[0], ROW[1].decode(), ROW[2], ROW[3].decode(), ROW[4])
    assert canonical(*as_text) == canonical(*ROW)


def test_a_value_of_unknown_type_is_refused() -> None:
    with pytest.raises(TypeError):
        canonical(1, object(), 1, b"t", b"s")
