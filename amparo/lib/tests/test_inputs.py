"""The one input vocabulary: the rules, and every form and API schema keeping them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import date, datetime

import pytest
from django import forms
from django.core.exceptions import ValidationError

import amparo
from amparo.lib import inputs


@pytest.mark.parametrize("bad", ["a\x00b", "a\x0bb", "a\x1bb", "a\x7fb", "a\x85b", "a\u202eb", "a\u2066b", "a\ud800b", "a\ufffdb"])
def test_it_refuses_unreadable_and_deceptive_characters(bad):
    with pytest.raises(ValidationError) as caught:
        inputs.clean_text(bad)
    assert caught.value.code == "characters"


def test_it_keeps_tabs_line_breaks_and_accents_in_one_form():
    assert inputs.clean_text("  Lince\tAv. Arequipa\r\nJesús María  ") == "Lince\tAv. Arequipa\r\nJesús María"
    assert inputs.clean_text("Jesu\u0301s") == "Jesús"  # NFC
    assert inputs.clean_text(" pass\u0301 ", verbatim=True) == " pass\u0301 "


@pytest.mark.parametrize("value", [date(1989, 12, 31), date(2101, 1, 1), datetime(9999, 12, 31, 23, 59), datetime(1, 1, 1)])
def test_it_bounds_years(value):
    with pytest.raises(ValidationError):
        inputs.check_year(value)


def test_a_field_may_widen_its_years():
    inputs.check_year(date(1950, 1, 1), earliest=1900)


def test_the_xml_guard_drops_what_xml_cannot_hold():
    assert inputs.text_safe_for_xml("a\x0bb\x1bc\x00d") == "abcd"


class _Form(forms.Form):
    text = inputs.TextField(max_length=20)
    secret = inputs.TextField(strip=False, required=False)
    day = inputs.DateField(required=False)
    moment = inputs.DateTimeField(required=False)
    count = inputs.IntegerField(required=False)


@pytest.mark.parametrize("data,field", [
    ({"text": "a\x00b"}, "text"),
    ({"text": "a\ufffdb"}, "text"),
    ({"text": "ok", "secret": "x\x1by"}, "secret"),
    ({"text": "ok", "day": "9999-12-31"}, "day"),
    ({"text": "ok", "moment": "9999-12-31T23:59:59-05:00"}, "moment"),
    ({"text": "ok", "moment": "0001-01-01T00:00:00+05:00"}, "moment"),
    ({"text": "ok", "moment": "9999-12-31 23:59"}, "moment"),
    ({"text": "ok", "count": str(2**63)}, "count"),
])
def test_form_fields_refuse_what_the_api_refuses(data, field):
    form = _Form(data)
    assert not form.is_valid()
    assert field in form.errors


def _modules(suffix: str):  # type: ignore[no-untyped-def]
    for info in pkgutil.walk_packages(amparo.__path__, "amparo."):
        if info.name.endswith(suffix) and ".tests" not in info.name and ".migrations" not in info.name:
            yield importlib.import_module(info.name)


def test_every_form_field_is_from_the_vocabulary():
    """A plain CharField, DateField, DateTimeField or IntegerField would skip the rules."""
    plain = []
    for module in [*_modules(".forms"), *_modules(".views"), *_modules(".public_views"), *_modules(".publicform")]:
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, forms.BaseForm) or cls.__module__ != module.__name__:
                continue
            for field_name, field in cls.base_fields.items():
                if type(field) in (forms.CharField, forms.DateField, forms.DateTimeField, forms.IntegerField):
                    plain.append(f"{module.__name__}.{name}.{field_name}")
    assert plain == []


def _request_schemas():  # type: ignore[no-untyped-def]
    from amparo.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    components = schema["components"]["schemas"]
    seen = set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            ref = body.get("$ref")
            if ref:
                seen.add(ref.rsplit("/", 1)[1])
            for parameter in operation.get("parameters", []):
                yield f"{method.upper()} {path} ?{parameter['name']}", parameter["schema"], components
    stack = list(seen)
    while stack:
        name = stack.pop()
        for prop_name, prop in components[name].get("properties", {}).items():
            yield f"{name}.{prop_name}", prop, components
            for sub in [prop, *prop.get("anyOf", []), prop.get("items", {})]:
                if "$ref" in sub:
                    target = sub["$ref"].rsplit("/", 1)[1]
                    if target not in seen and components[target].get("type") == "object":
                        seen.add(target)
                        stack.append(target)


def _options(prop, components):  # type: ignore[no-untyped-def]
    options = [prop, *prop.get("anyOf", []), *prop.get("allOf", [])]
    resolved = []
    for option in options:
        if "$ref" in option:
            option = components[option["$ref"].rsplit("/", 1)[1]]
        resolved.append(option)
    return resolved


def test_every_api_input_number_is_bounded_and_every_string_is_capped():
    loose = []
    for where, prop, components in _request_schemas():
        for option in _options(prop, components):
            for leaf in [option, option.get("items", {})]:
                kind = leaf.get("type")
                if kind == "integer" and ("maximum" not in leaf or "minimum" not in leaf):
                    loose.append(f"{where}: integer without bounds")
                if kind == "string" and not ({"maxLength", "enum", "pattern", "format", "const"} & set(leaf)):
                    loose.append(f"{where}: string without a cap")
    assert loose == []


def test_every_api_input_model_inherits_the_vocabulary():
    from ninja import Schema

    loose = []
    for module in [*_modules(".schemas"), *_modules(".api")]:
        for name, cls in inspect.getmembers(module, inspect.isclass):
            is_input = issubclass(cls, Schema) and cls.__module__ == module.__name__ and name.endswith(("In", "Patch"))
            if is_input and not issubclass(cls, inputs.StrictIn):
                loose.append(f"{module.__name__}.{name}")
    assert loose == []
