"""Config schemas: JSON Schema rendering, validation errors of every kind, presets."""

from __future__ import annotations

import pytest

from vision_platform.adapters.registry import registry
from vision_platform.configs import (
    PRESET_NAMES,
    ConfigField,
    inactive_fields,
    merge_config,
    schema_to_json_schema,
    validate_config,
)
from vision_platform.errors import ConfigValidationError, UnknownNameError

SCHEMA = [
    ConfigField(
        name="optimizer",
        type="select",
        default="adam",
        options=("adam", "sgd"),
        group="optimizer",
        description="Optimizer.",
    ),
    ConfigField(
        name="lr",
        type="float",
        default=0.01,
        min=0.0,
        max=1.0,
        group="optimizer",
        description="Learning rate.",
    ),
    ConfigField(
        name="epochs", type="int", default=3, min=1, max=10, group="training", description="Epochs."
    ),
    ConfigField(name="amp", type="bool", default=False, group="training", description="AMP."),
    ConfigField(
        name="scheduler",
        type="select",
        default="none",
        options=("none", "cosine"),
        group="scheduler",
        description="Schedule.",
    ),
    ConfigField(
        name="warmup",
        type="int",
        default=0,
        min=0,
        max=5,
        group="scheduler",
        depends_on={"scheduler": ("cosine",)},
        description="Warm-up epochs.",
    ),
    ConfigField(name="note", type="str", default="", group="training", description="Free text."),
]


def test_defaults_are_filled_in() -> None:
    assert validate_config({"lr": 0.5}, SCHEMA) == {
        "optimizer": "adam",
        "lr": 0.5,
        "epochs": 3,
        "amp": False,
        "scheduler": "none",
        "warmup": 0,
        "note": "",
    }


def test_an_integer_is_accepted_for_a_float_and_stored_as_float() -> None:
    resolved = validate_config({"lr": 1}, SCHEMA)
    assert resolved["lr"] == 1.0 and isinstance(resolved["lr"], float)


def test_every_bad_field_is_reported_at_once() -> None:
    bad = {
        "optimizer": "adamw",
        "lr": 2.0,
        "epochs": 2.5,
        "amp": "yes",
        "lr_typo": 1,
        "note": 3,
        "warmup": -1,
    }
    with pytest.raises(ConfigValidationError) as caught:
        validate_config(bad, SCHEMA)
    errors = caught.value.errors
    assert set(errors) == {"optimizer", "lr", "epochs", "amp", "lr_typo", "note", "warmup"}
    assert "not one of: adam, sgd" in errors["optimizer"]
    assert "above the maximum 1.0" in errors["lr"]
    assert "expected an integer" in errors["epochs"]
    assert "expected a boolean" in errors["amp"]
    assert errors["lr_typo"].startswith("unknown field")
    assert "expected a string" in errors["note"]
    assert "below the minimum 0" in errors["warmup"]
    for name in errors:
        assert name in str(caught.value)


def test_booleans_are_not_integers() -> None:
    with pytest.raises(ConfigValidationError) as caught:
        validate_config({"epochs": True}, SCHEMA)
    assert "epochs" in caught.value.errors


def test_misspelt_names_get_a_suggestion() -> None:
    with pytest.raises(ConfigValidationError) as caught:
        validate_config({"optimzer": "sgd", "optimizer": "sdg"}, SCHEMA)
    assert "did you mean 'optimizer'" in caught.value.errors["optimzer"]
    assert "did you mean 'sgd'" in caught.value.errors["optimizer"]


def test_json_schema_has_types_ranges_options_groups_and_dependencies() -> None:
    doc = schema_to_json_schema(SCHEMA, title="test", presets={"easy": {"lr": 0.1}})
    props = doc["properties"]
    assert doc["additionalProperties"] is False
    assert props["lr"] == {
        "type": "number",
        "default": 0.01,
        "description": "Learning rate.",
        "x-group": "optimizer",
        "minimum": 0.0,
        "maximum": 1.0,
    }
    assert props["optimizer"]["enum"] == ["adam", "sgd"]
    assert props["amp"]["type"] == "boolean"
    assert props["epochs"]["type"] == "integer"
    assert props["warmup"]["x-depends-on"] == {"scheduler": ["cosine"]}
    assert {g["name"]: g["fields"] for g in doc["x-groups"]}["scheduler"] == ["scheduler", "warmup"]
    assert doc["x-presets"] == {"easy": {"lr": 0.1}}


def test_a_field_whose_dependency_fails_is_reported_not_dropped_silently() -> None:
    config = validate_config({"warmup": 3}, SCHEMA)
    notes = inactive_fields(config, SCHEMA)
    assert len(notes) == 1 and notes[0].startswith("warmup=3 has no effect")
    assert (
        inactive_fields(validate_config({"warmup": 3, "scheduler": "cosine"}, SCHEMA), SCHEMA) == []
    )


def test_merge_applies_preset_then_overrides() -> None:
    presets = {"fast": {"lr": 0.5, "epochs": 1}}
    merged = merge_config(schema=SCHEMA, presets=presets, preset="fast", overrides={"epochs": 2})
    assert (merged["lr"], merged["epochs"]) == (0.5, 2)
    with pytest.raises(UnknownNameError, match="did you mean 'fast'"):
        merge_config(schema=SCHEMA, presets=presets, preset="fats", overrides=None)


def test_a_field_with_an_invalid_default_cannot_be_declared() -> None:
    with pytest.raises(ValueError, match="default"):
        ConfigField(name="x", type="int", default=20, min=0, max=10, group="g", description="")


@pytest.mark.parametrize("framework", registry.list())
@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_every_preset_of_every_framework_validates(framework: str, preset: str) -> None:
    info = registry.info(framework)
    schema = info.config_schema()
    resolved = merge_config(schema=schema, presets=info.presets(), preset=preset, overrides=None)
    assert validate_config(resolved, schema) == resolved
    assert set(info.presets()) == set(PRESET_NAMES)


def _field(**kw: object) -> ConfigField:
    return ConfigField(group="g", description="", **kw)  # type: ignore[arg-type]


def test_a_concept_value_takes_the_fields_type_and_spelling() -> None:
    select = _field(name="opt", type="select", default="SGD", options=("SGD", "AdamW"))
    assert select.from_concept("adamw") == "AdamW"
    probability = _field(name="p", type="float", default=0.0, min=0, max=1, on_value=0.3)
    assert (probability.from_concept(True), probability.from_concept(False)) == (0.3, 0.0)
    assert probability.from_concept(0.25) == 0.25
    switch = _field(name="s", type="bool", default=False)
    assert switch.from_concept(0.5) is True
    degrees = _field(name="d", type="int", default=0, min=0, max=90, on_value=15)
    assert (degrees.from_concept(True), degrees.from_concept(10.0)) == (15, 10)
    with pytest.raises(ValueError, match="no option"):
        select.from_concept("lamb")


def test_a_field_that_spells_concept_words_its_own_way_maps_them_both_ways() -> None:
    cos_lr = _field(
        name="cos_lr",
        type="bool",
        default=False,
        concept="scheduler",
        concept_values={"cosine": True, "linear": False},
    )
    assert (cos_lr.from_concept("cosine"), cos_lr.from_concept("linear")) == (True, False)
    assert (cos_lr.to_concept(True), cos_lr.to_concept(False)) == ("cosine", "linear")
    with pytest.raises(ValueError, match="no value for 'step'"):
        cos_lr.from_concept("step")
    with pytest.raises(ValueError):
        cos_lr.from_concept(True)  # a switch alone names no schedule


@pytest.mark.parametrize("framework", ["timm", "ultralytics"])
def test_every_framework_has_the_checkpoint_cadence_fields(framework: str) -> None:
    schema = registry.info(framework).config_schema()
    config = validate_config({"save_period": 5, "save_every_minutes": 30}, schema)
    assert (config["save_period"], config["save_every_minutes"]) == (5, 30.0)
    defaults = validate_config({}, schema)
    assert (defaults["save_period"], defaults["save_every_minutes"]) == (1, 0.0)
    with pytest.raises(ConfigValidationError) as refused:
        validate_config({"save_period": -1, "save_every_minutes": -2}, schema)
    assert set(refused.value.errors) == {"save_period", "save_every_minutes"}
