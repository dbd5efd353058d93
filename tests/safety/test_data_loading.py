"""The rules files are parsed strictly: a key written twice is an error, not a silent loss."""

from __future__ import annotations

import pytest

from safety._data import parse_yaml


def test_a_key_given_twice_is_an_error() -> None:
    text = "concepts:\n  DEATH:\n    except: [a]\n    words: [die]\n    except: [b]\n"
    with pytest.raises(ValueError, match="given twice"):
        parse_yaml(text, "safety/example.yaml")


def test_ordinary_files_parse() -> None:
    assert parse_yaml("version: '1'\nrules: [{id: x}]\n", "safety/example.yaml") == {
        "version": "1", "rules": [{"id": "x"}],
    }


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(ValueError, match="mapping"):
        parse_yaml("- a\n- b\n", "safety/example.yaml")
