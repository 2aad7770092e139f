import json

import pytest

from model.errors import InputError
from tests.conftest import tiny_rows, write_jsonl
from training.data import label_maps, load_splits, read_examples


def test_reads_jsonl_and_csv_alike(tmp_path, tiny_file):
    csv_file = tmp_path / "tiny.csv"
    import csv

    with csv_file.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["text", "label"])
        writer.writeheader()
        writer.writerows(tiny_rows())
    assert read_examples(csv_file) == read_examples(tiny_file)


def test_malformed_jsonl_line_is_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok", "label": "a"}\n{"text": "broken", \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:2: malformed JSON"):
        read_examples(path)


def test_missing_label_column_is_named_with_its_line(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "a", "label": "x"}, {"text": "b"}])
    with pytest.raises(InputError, match=r"d.jsonl:2: missing 'label' column"):
        read_examples(path)


def test_csv_without_text_column_is_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("body,label\nhello,x\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"d.csv:1: missing text column"):
        read_examples(path)


def test_empty_text_is_refused(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "  ", "label": "x"}])
    with pytest.raises(InputError, match=r"d.jsonl:1: empty text"):
        read_examples(path)


def test_only_one_label_is_refused(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": f"t{i}", "label": "war"} for i in range(10)])
    with pytest.raises(InputError, match=r"only one label \('war'\)"):
        load_splits(path)


def test_label_with_too_few_examples_is_named(tmp_path):
    rows = tiny_rows() + [{"text": "A lone example of a rare class.", "label": "rare"}]
    with pytest.raises(InputError, match=r"'rare' has 1"):
        load_splits(write_jsonl(tmp_path / "d.jsonl", rows))


def test_same_paragraph_in_two_splits_is_refused(tmp_path):
    rows = tiny_rows()
    write_jsonl(tmp_path / "train.jsonl", rows[:-1])
    write_jsonl(tmp_path / "validation.jsonl", [rows[0] | {"text": rows[0]["text"].upper() + "  "}, rows[-1]])
    with pytest.raises(InputError, match=r"1 paragraphs are in both train and validation, e.g. 'ARTILLERY"):
        load_splits(tmp_path)


def test_single_file_is_split_stratified_and_labels_come_from_the_data(tiny_file):
    splits = load_splits(tiny_file, validation_fraction=0.25)
    assert splits.labels == sorted({r["label"] for r in tiny_rows()})
    assert len(splits.train) + len(splits.validation) == 40
    assert {r["label"] for r in splits.validation} == set(splits.labels)
    assert not {r["text"] for r in splits.train} & {r["text"] for r in splits.validation}
    assert len(splits.sha256) == 64


def test_label_map_round_trip():
    labels = ["attribution", "casualty_report", "other"]
    id2label, label2id = label_maps(labels)
    assert [id2label[label2id[label]] for label in labels] == labels
    assert json.loads(json.dumps(id2label)) == {"0": "attribution", "1": "casualty_report", "2": "other"}
