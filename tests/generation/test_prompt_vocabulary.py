"""The prompt writers' word lists: data files that ship in the package and read as intended."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from generation.backends.prompt import vocabulary
from generation.backends.prompt.composer import CONNECTORS, GLOSSARY, _plain

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "generation" / "backends" / "prompt" / "data"


def test_every_data_file_is_in_the_packages_data_so_a_wheel_ships_it():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["generation.backends.prompt"]

    files = sorted(path.relative_to(DATA.parent).as_posix() for path in DATA.iterdir())

    assert files
    assert [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)] == []


def test_glossary_keys_are_plain_and_each_entry_has_a_known_part_of_speech():
    assert GLOSSARY["tarjeta de credito"] == ("credit card", "n", "")
    assert GLOSSARY["jovenes"] == ("young", "a", "young adults")
    for key, (english, part, alone) in GLOSSARY.items():
        assert key == _plain(key), key
        # n noun, a adjective, v verb, N a name-like noun translated even when capitalised
        # ("Navidad"), x other; the fourth field: an adjective's standalone reading, a verb's
        # -ing form, an irregular English plural.
        assert english and part in {"n", "a", "v", "N", "x"}, key
        assert not alone or part in {"a", "v", "n"}, key


def test_a_connector_alone_on_its_line_is_left_out_of_the_translation():
    assert CONNECTORS["frente a"] == "in front of"
    assert CONNECTORS["que"] == ""


def test_a_plain_list_splits_on_spaces_and_line_ends_and_skips_comments():
    words = vocabulary.words("stop_words_en.txt")

    assert {"the", "of", "and", "with"} <= words
    assert not any(word.startswith("#") for word in words)
