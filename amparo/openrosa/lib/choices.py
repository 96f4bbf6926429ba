"""Turn Amparo's reference data into the forms' choice lists and cascade files."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from amparo.openrosa.lib.xlsform import Choice, ChoiceSet, external_csv

# XLSForm list name -> Amparo vocabulary.
VOCAB_LISTS = {"violation": "violation", "perpetrator": "perpetrator", "place_type": "place_type", "source": "source"}


def choice_set(
    *,
    terms: Iterable[tuple[str, str, str, str]],
    departments: Iterable[tuple[str, str]],
    provinces: Iterable[tuple[str, str, str]],
    districts: Iterable[tuple[str, str, str]],
    coded: Mapping[str, Iterable[tuple[str, str, str]]],
) -> ChoiceSet:
    """`terms`: (vocabulary, code, label_es, label_en) of active terms in display order;
    `provinces`: (code, name, department_code); `districts`: (code, name, province_code);
    `coded`: lists taken from Amparo's coded fields, e.g. gender identity."""
    lists: dict[str, list[Choice]] = {name: [] for name in VOCAB_LISTS}
    by_vocab = {vocab: name for name, vocab in VOCAB_LISTS.items()}
    for vocabulary, code, label_es, label_en in terms:
        if vocabulary in by_vocab:
            lists[by_vocab[vocabulary]].append(Choice(code, label_es, label_en))
    lists["department"] = [Choice(code, name, name) for code, name in departments]
    for list_name, items in coded.items():
        lists[list_name] = [Choice(code, es, en) for code, es, en in items]
    media = {
        "provinces.csv": external_csv(["name", "label", "department"], [[c, n, d] for c, n, d in provinces]),
        "districts.csv": external_csv(["name", "label", "province"], [[c, n, p] for c, n, p in districts]),
    }
    return ChoiceSet(lists=lists, media=media)
