"""Data set names are slugs; references are `name` or `name@version`."""

from __future__ import annotations

import pytest

from vision_platform.datastore.names import DatasetRef, check_name, parse_ref, version_of
from vision_platform.errors import InvalidInputError


@pytest.mark.parametrize("name", ["digits", "shapes-v2", "a", "coco_2017", "x" * 64])
def test_slugs_are_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "Digits", "my data", "-lead", "../etc", "a/b", "a@b", "x" * 65, "émoji"]
)
def test_anything_else_is_refused_naming_the_field(name: str) -> None:
    with pytest.raises(InvalidInputError, match=r"^name: .* is not a data set name"):
        check_name(name)


def test_references() -> None:
    version = version_of("0123456789abcdef" * 4)
    assert version == "0123456789ab"
    assert parse_ref("digits") == DatasetRef("digits")
    assert parse_ref(f"digits@{version}") == DatasetRef("digits", version)
    assert str(parse_ref(f" digits@{version} ")) == f"digits@{version}"
    with pytest.raises(InvalidInputError, match=r"^dataset: 'v1' is not a data set version"):
        parse_ref("digits@v1")
    with pytest.raises(InvalidInputError, match=r"^dataset: 'Digits'"):
        parse_ref("Digits")
