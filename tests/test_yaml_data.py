"""The one YAML reader of the data files (functions/core/yaml_data.py): safe, libyaml when present."""

from __future__ import annotations

import pytest
import yaml

from functions.core import yaml_data


def test_it_parses_with_libyaml_when_pyyaml_has_it():
    assert yaml.__with_libyaml__, "the pinned PyYAML wheel carries libyaml"
    assert yaml_data._Loader is yaml.CSafeLoader


def test_it_reads_the_same_document_as_the_pure_python_safe_loader(tmp_path):
    from functions.config import Config

    for path in sorted((Config().content_dir / "data").rglob("*.yml")):
        text = path.read_text(encoding="utf-8")
        assert yaml_data.load_yaml(text) == yaml.safe_load(text), path


def test_it_refuses_python_objects_and_names_the_line_of_a_mistake():
    with pytest.raises(yaml.YAMLError):
        yaml_data.load_yaml("ok: 1\nbad: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(yaml.YAMLError) as caught:
        yaml_data.load_yaml("a: 1\nb: [1, 2\nc: 3\n")
    assert caught.value.problem_mark.line >= 1
