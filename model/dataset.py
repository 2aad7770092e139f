"""Classifying a dataset of articles into one row per paragraph, on this machine or on a Ray cluster.

Both engines run `ParagraphClassifier` on batches of articles, so they split and label alike.
`local` (the default) reads, labels and writes in this process, a batch at a time, in bounded
memory. `ray` runs the same class as a pool of Ray actors (one model load each) between Ray Data's
own readers and writer, so it reads and writes whatever Ray does (local disk, S3, GCS).

Labels do not depend on which articles share a batch (see `model.predictor`); int8 scores move by
up to about 0.02 with their batch neighbours, so the engines give identical scores when given the
same batches of articles, and identical labels whatever the batches.

Ray is imported only when `engine="ray"` is asked for, never by `import model`.
"""

import io
import itertools
import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from model.articles import split_paragraphs
from model.classify import ARTICLE_SUFFIXES, _text_stream, source_paragraphs, summarise
from model.errors import ConflictParagraphsError, InputError, RunError, first_line
from model.predictor import DEFAULT_BATCH_SIZE, _without_surrogates

# Articles handed to the model together. The model sorts their windows by length before batching
# them, so a larger pool pads less: 64 articles gave 206 paragraphs/s on this machine, 256 gave 238
# (Ray with 1 worker 233 in its steady state), 512 gave 274 locally but left Ray's pipeline
# half-filled on a small job.
ARTICLES_PER_BATCH = 256
MAX_ARTICLE_CHARS = 10 << 20  # a longer text (or article file, in bytes) is an error row, not a memory blow-up
BATCH_CHARS = 1 << 20  # the local engine ends a batch early once it holds this much text
ROW_GROUP_ROWS = 16_384  # output rows gathered before a Parquet row group is written (local engine)
PART_ROWS = 1_000_000  # output rows per part file (local engine)
DATA_SUFFIXES = {".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}
ROW_NUMBER = "__row_number"  # the id column that the local engine makes when the input has none
RAY_EXTRA = 'pip install -e ".[ray]"'


class Engine(str, Enum):
    local = "local"
    ray = "ray"


class DatasetFormat(str, Enum):
    parquet = "parquet"
    jsonl = "jsonl"


@dataclass(frozen=True)
class DatasetResult:
    output: str
    articles: int
    paragraphs: int
    errors: int  # articles written with a null label and the reason in `error`
    seconds: float


def output_schema(labels: list[str], summary: bool = False):
    """The pyarrow schema of the rows `ParagraphClassifier` makes (one per paragraph, or per article with `summary`)."""
    import pyarrow as pa

    if summary:
        fields = [("article_id", pa.string()), ("paragraphs", pa.int64()), ("dominant", pa.string())]
        fields += [(f"count_{label}", pa.int64()) for label in labels]
    else:
        fields = [("article_id", pa.string()), ("paragraph", pa.int64()), ("text", pa.string()),
                  ("label", pa.string()), ("score", pa.float64())]
        fields += [(f"score_{label}", pa.float64()) for label in labels]
    return pa.schema(fields + [("error", pa.string())])


_TOO_LARGE = f"file larger than {MAX_ARTICLE_CHARS:,} bytes"


@dataclass(frozen=True)
class _Unreadable:
    """A row the local engine would not read whole (a broken JSON line, a huge file); it becomes an error row."""

    reason: str


class ParagraphClassifier:
    """Label the paragraphs of a batch of articles: a callable class for Ray Data's `map_batches`.

    An instance loads the model once, so under Ray it runs as a pool of actors, one model each:

        import ray
        from model import ParagraphClassifier

        articles = ray.data.read_parquet("s3://my-bucket/articles/")   # an id and a text column
        rows = articles.map_batches(ParagraphClassifier, batch_size=64, batch_format="pyarrow",
                                    concurrency=4, num_cpus=1, fn_constructor_kwargs={"text_column": "body"})
        rows.write_parquet("s3://my-bucket/paragraphs/")

    A batch (a pyarrow Table, pandas DataFrame or dict of columns) holds one article per row, its
    text in `text_column` and its id in `id_column`; with `files`, rows are article files as
    `ray.data.read_binary_files(..., include_paths=True)` gives them (`bytes`, `path`), read as
    `classify` reads a file (text or HTML) and named by their path relative to `root`. The result
    is a pyarrow Table of `output_schema(labels, summary)`: one row per paragraph, split as
    `classify_article` splits, or with `summary` one row per article. An article that cannot be
    classified (text missing, not a string, empty, over MAX_ARTICLE_CHARS) is one row with a null
    label and the reason in `error`: it never fails the batch. The model runs on OMP_NUM_THREADS
    threads, which Ray sets to each actor's `num_cpus`.
    """

    def __init__(self, model: str | Path | None = None, backend: str = "auto", text_column: str = "text",
                 id_column: str = "id", summary: bool = False, batch_size: int = DEFAULT_BATCH_SIZE,
                 files: bool = False, root: str = ""):
        from model.predictor import load_predictor

        self.predictor = load_predictor(model, backend=backend)
        self.predictor.reserve_memory(batch_size)  # a job's memory then stays flat from its first batch
        self.labels = self.predictor.labels
        self.schema = output_schema(self.labels, summary)
        self.text_column, self.id_column = text_column, id_column
        self.summary, self.batch_size = summary, batch_size
        self.files, self.root = files, root.rstrip("/")

    def __call__(self, batch: Any):
        """The rows of a batch of articles (see the class), in the batch's order."""
        import pyarrow as pa

        if self.files:
            names = [self._relative(path) for path in _column(batch, "path")]
            articles = [(name, *_file_paragraphs(data)) for name, data in zip(names, _column(batch, "bytes"))]
        else:
            ids = _column(batch, self.id_column)
            articles = [(_id_text(i), *_text_paragraphs(text)) for i, text in zip(ids, _column(batch, self.text_column))]
        texts = [p for _, paragraphs, _ in articles for p in paragraphs]
        probabilities = iter(self.predictor.predict_proba(texts, self.batch_size))
        rows: list[dict] = []
        for article_id, paragraphs, error in articles:
            predicted = [(p, next(probabilities)) for p in paragraphs]
            rows += self._summary(article_id, predicted, error) if self.summary else self._rows(article_id, predicted, error)
        return pa.Table.from_pylist(rows, schema=self.schema)

    def _rows(self, article_id, predicted, error) -> list[dict]:
        if error is not None:
            return [{"article_id": article_id, "error": error}]
        rows = []
        for index, (text, proba) in enumerate(predicted):
            best = int(proba.argmax())
            row = {"article_id": article_id, "paragraph": index, "text": text,
                   "label": self.labels[best], "score": float(proba[best])}
            rows.append(row | {f"score_{label}": float(p) for label, p in zip(self.labels, proba)})
        return rows

    def _summary(self, article_id, predicted, error) -> list[dict]:
        if error is not None:
            return [{"article_id": article_id, "paragraphs": 0, "error": error}]
        labelled = [{"source": article_id, "label": self.labels[int(proba.argmax())]} for _, proba in predicted]
        summary = summarise(labelled, self.labels)
        counts = {f"count_{label}": summary["labels"][label] for label in self.labels}
        return [{"article_id": article_id, "paragraphs": summary["paragraphs"], "dominant": summary["dominant"]} | counts]

    def _relative(self, path: str) -> str:
        return path[len(self.root) + 1:] if self.root and path.startswith(self.root + "/") else path


def _column(batch: Any, name: str) -> list:
    """One column of a batch as a Python list, whatever the batch format."""
    if isinstance(batch, dict):
        names = batch.keys()
    else:
        names = batch.column_names if hasattr(batch, "column_names") else batch.columns
    if name not in names:
        raise InputError(f"the batch has no column {name!r} (columns: {', '.join(map(str, names))})")
    column = batch[name]
    if hasattr(column, "to_pylist"):
        return column.to_pylist()
    return column.tolist() if hasattr(column, "tolist") else list(column)


def _id_text(value: Any) -> str | None:
    """An article id as text: 7 and 7.0 (what a column with gaps makes of 7) both read "7"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text_paragraphs(text: Any) -> tuple[list[str], str | None]:
    """(paragraphs, None) for a usable article text, else ([], why not)."""
    if isinstance(text, _Unreadable):
        return [], text.reason
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return [], "missing text"
    if not isinstance(text, str):
        return [], "text is not a string"
    if len(text) > MAX_ARTICLE_CHARS:
        return [], f"text longer than {MAX_ARTICLE_CHARS:,} characters"
    paragraphs = split_paragraphs(_without_surrogates(text))
    return (paragraphs, None) if paragraphs else ([], "empty text")


def _file_paragraphs(data: bytes | _Unreadable) -> tuple[list[str], str | None]:
    """(paragraphs, None) for an article file's bytes, read as `classify` reads a file, else ([], why not)."""
    if isinstance(data, _Unreadable):
        return [], data.reason
    if len(data) > MAX_ARTICLE_CHARS:
        return [], _TOO_LARGE
    try:
        with _text_stream(io.BufferedReader(io.BytesIO(data)), "file") as stream:
            paragraphs = [_without_surrogates(p) for p in source_paragraphs(stream, warn=lambda message: None)]
    except ConflictParagraphsError as exc:
        return [], str(exc).removeprefix("file: ")
    return (paragraphs, None) if paragraphs else ([], "empty file")


@dataclass(frozen=True)
class _Input:
    """What a dataset source holds: its files (sorted), their kind, and whether rows carry ids."""

    filesystem: Any  # a pyarrow FileSystem
    path: str  # the file or folder given
    root: str  # the folder that article ids are relative to
    files: list[str]
    kind: str  # jsonl, csv, parquet or articles
    has_id: bool
    scheme: str  # "s3://" and the like for Ray's readers, which take URIs; "" on local disk


def _filesystem(uri: str):
    """(pyarrow filesystem, path) for a local path or a URI such as s3://bucket/key."""
    from pyarrow import fs

    if "://" not in uri:
        return fs.LocalFileSystem(), os.path.abspath(uri)
    try:
        return fs.FileSystem.from_uri(uri)
    except Exception as exc:  # unknown scheme, missing credentials
        raise InputError(f"{uri}: {first_line(exc)}") from None


def _find_input(source: str, text_column: str, id_column: str) -> _Input:
    """List a dataset's files and check its columns, before any model loads."""
    from pyarrow import fs

    filesystem, path = _filesystem(source)
    info = filesystem.get_file_info(path)
    if info.type == fs.FileType.NotFound:
        raise InputError(f"{source}: file not found")
    if info.type == fs.FileType.Directory:
        root = path
        found = [f.path for f in filesystem.get_file_info(fs.FileSelector(path, recursive=True))
                 if f.type == fs.FileType.File and not _hidden(f.path[len(path):])]
    else:
        root, found = path.rpartition("/")[0], [path]
    kinds = {_kind(f) for f in found} - {None}
    if not kinds:
        suffixes = ", ".join([*DATA_SUFFIXES, *ARTICLE_SUFFIXES])
        raise InputError(f"{source}: no dataset or article files here ({suffixes})")
    if len(kinds) > 1:
        raise InputError(f"{source}: mixes {' and '.join(sorted(kinds))} files; give one kind at a time")
    kind = kinds.pop()
    files = sorted(f for f in found if _kind(f) == kind)
    has_id = kind != "articles" and id_column in _columns(filesystem, files[0], kind, text_column)
    scheme = source.partition("://")[0] + "://" if "://" in source else ""
    return _Input(filesystem, path, root, files, kind, has_id, scheme)


def _hidden(relative: str) -> bool:
    """Names starting with . or _ (staging, _SUCCESS markers) are skipped, as Ray's readers skip them."""
    return any(part.startswith((".", "_")) for part in relative.split("/") if part)


def _kind(path: str) -> str | None:
    suffix = os.path.splitext(path)[1].lower()
    return DATA_SUFFIXES.get(suffix) or ("articles" if suffix in ARTICLE_SUFFIXES else None)


def _columns(filesystem, path: str, kind: str, text_column: str) -> list[str]:
    """The column names of a dataset file (of its first row for JSONL); refuse one without the text column."""
    import pyarrow.csv
    import pyarrow.parquet as pq

    try:
        if kind == "parquet":
            names = pq.ParquetFile(filesystem.open_input_file(path)).schema_arrow.names
        elif kind == "csv":
            with pyarrow.csv.open_csv(filesystem.open_input_stream(path)) as reader:
                names = reader.schema.names
        else:
            with filesystem.open_input_stream(path) as raw:
                names = next((list(row) for row in map(_json_object, itertools.islice(_lines(raw), 100)) if row), None)
            if names is None:  # no row to judge by: each row will say what is wrong with it
                return []
    except (OSError, ValueError) as exc:  # pyarrow's errors are both
        raise InputError(f"{path}: cannot read as {kind} ({first_line(exc)})") from None
    if text_column not in names:
        raise InputError(f"{path}: no column {text_column!r} (columns: {', '.join(names) or 'none'}); name it with --text-column")
    return names


def _lines(raw) -> Iterator[bytes]:
    """The lines of a binary stream; a line over 2 * MAX_ARTICLE_CHARS bytes is read in pieces and
    skipped, and comes out as the _TOO_LONG marker: no line can make memory grow."""
    limit = 2 * MAX_ARTICLE_CHARS  # JSON escapes make a line longer than its text
    stream = io.BufferedReader(raw) if not hasattr(raw, "peek") else raw
    while line := stream.readline(limit + 1):
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := stream.readline(limit)) and not rest.endswith(b"\n"):
                pass
            yield _TOO_LONG
        else:
            yield line


_TOO_LONG = b"\x00too long"  # not JSON, so it cannot be taken for a row


def _local_rows(source: _Input, text_column: str, id_column: str) -> Iterator[tuple[Any, Any]]:
    """(id, text) per row, file by file in order; for article files (path, bytes). Ids are row numbers
    when the dataset has no id column."""
    import pyarrow.csv
    import pyarrow.parquet as pq

    row_number = 0
    for path in source.files:
        try:
            if source.kind == "articles":
                yield path, _read_article_file(source.filesystem, path)
                continue
            if source.kind == "jsonl":
                with source.filesystem.open_input_stream(path) as raw:
                    lines = enumerate(_lines(raw), 1)
                    for row_id, text in (_json_row(line, n, text_column, id_column) for n, line in lines if line.strip()):
                        yield (row_id if source.has_id else row_number), text
                        row_number += 1
                continue
            columns = [text_column] + ([id_column] if source.has_id else [])
            if source.kind == "parquet":
                batches = pq.ParquetFile(source.filesystem.open_input_file(path)).iter_batches(batch_size=1024, columns=columns)
            else:
                batches = pyarrow.csv.open_csv(source.filesystem.open_input_stream(path), convert_options=_csv_options(columns))
            for batch in batches:
                texts = batch.column(text_column).to_pylist()
                ids = batch.column(id_column).to_pylist() if source.has_id else range(row_number, row_number + len(texts))
                yield from zip(ids, texts)
                row_number += len(texts)
        except (OSError, ValueError) as exc:  # unreadable, a broken Parquet or CSV file, or one without the columns
            raise InputError(f"{path}: cannot read as {source.kind} ({first_line(exc)})") from None


def _read_article_file(filesystem, path: str) -> bytes | _Unreadable:
    if filesystem.get_file_info(path).size > MAX_ARTICLE_CHARS:
        return _Unreadable(_TOO_LARGE)
    with filesystem.open_input_stream(path) as raw:
        return raw.read()


def _json_object(line: bytes) -> dict | None:
    try:
        row = json.loads(line)
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


def _json_row(line: bytes, number: int, text_column: str, id_column: str) -> tuple[Any, Any]:
    """(id, text) of a JSON line; a line that is not a JSON object gives an unreadable text that says why."""
    if line is _TOO_LONG:
        return None, _Unreadable(f"line {number}: longer than {2 * MAX_ARTICLE_CHARS:,} bytes")
    try:
        row = json.loads(line)
    except ValueError:
        return None, _Unreadable(f"line {number}: not valid JSON")
    if not isinstance(row, dict):
        return None, _Unreadable(f"line {number}: not a JSON object")
    return row.get(id_column), row.get(text_column)


def _csv_options(columns: list[str]):
    """Every CSV cell that we read is text, as Python's csv module would give it (the same in both engines)."""
    import pyarrow as pa
    import pyarrow.csv

    return pyarrow.csv.ConvertOptions(include_columns=columns, column_types={c: pa.string() for c in columns})


def _local_batches(source: _Input, text_column: str, id_column: str, size: int) -> Iterator[dict]:
    """Batches of at most `size` articles and, past the first, BATCH_CHARS of text."""
    keys = ("path", "bytes") if source.kind == "articles" else (id_column, text_column)
    batch: list[tuple[Any, Any]] = []
    chars = 0
    for row in _local_rows(source, text_column, id_column):
        length = len(row[1]) if isinstance(row[1], (str, bytes)) else 0
        if batch and (len(batch) == size or chars + length > BATCH_CHARS):
            yield dict(zip(keys, map(list, zip(*batch))))
            batch, chars = [], 0
        batch.append(row)
        chars += length
    if batch:
        yield dict(zip(keys, map(list, zip(*batch))))


class _PartWriter:
    """Rows written into part files of a folder: Parquet row groups of ROW_GROUP_ROWS, or JSONL."""

    def __init__(self, directory: Path, fmt: DatasetFormat, schema):
        self.directory, self.fmt, self.schema = directory, fmt, schema
        self.pending: list = []
        self.parts, self.in_part = 0, 0
        self.out = None

    def write(self, table) -> None:
        if self.fmt is DatasetFormat.jsonl:
            self._part()
            for row in table.to_pylist():
                self.out.write(json.dumps(row, ensure_ascii=False) + "\n")
            self.in_part += table.num_rows
        else:
            self.pending.append(table)
            if sum(t.num_rows for t in self.pending) >= ROW_GROUP_ROWS:
                self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self.pending:
            self._part()
            table = pa.concat_tables(self.pending)
            self.out.write_table(table, row_group_size=len(table))
            self.in_part += len(table)
            self.pending = []

    def _part(self) -> None:
        """Open the next part file when none is open or the open one is full."""
        import pyarrow.parquet as pq

        if self.out is not None and self.in_part < PART_ROWS:
            return
        self._close()
        path = self.directory / f"part-{self.parts:05d}.{self.fmt.value}"
        self.out = open(path, "w", encoding="utf-8") if self.fmt is DatasetFormat.jsonl else pq.ParquetWriter(path, self.schema)
        self.parts, self.in_part = self.parts + 1, 0

    def _close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None

    def close(self) -> None:
        self._flush()
        self._close()


@dataclass
class _Tally:
    articles: int = 0
    paragraphs: int = 0
    errors: int = 0

    def add(self, table, summary: bool) -> int:
        """Count a table of output rows; return its paragraphs."""
        import pyarrow.compute as pc

        errors = pc.count(table.column("error")).as_py()  # rows whose error is set
        if summary:
            paragraphs, articles = pc.sum(table.column("paragraphs")).as_py() or 0, table.num_rows
        else:
            paragraphs = pc.count(table.column("paragraph")).as_py()
            articles = pc.sum(pc.equal(table.column("paragraph"), 0)).as_py() or 0
            articles += errors
        self.articles, self.paragraphs, self.errors = self.articles + articles, self.paragraphs + paragraphs, self.errors + errors
        return paragraphs


def classify_dataset(
    source: str | Path,
    output: str | Path,
    engine: Engine | str = Engine.local,
    fmt: DatasetFormat | str = DatasetFormat.parquet,
    summary: bool = False,
    text_column: str = "text",
    id_column: str = "id",
    model: str | Path | None = None,
    backend: str = "auto",
    batch_size: int = DEFAULT_BATCH_SIZE,
    articles_per_batch: int = ARTICLES_PER_BATCH,
    workers: int | None = None,
    address: str | None = None,
    overwrite: bool = False,
    progress: bool | Callable[[int], None] = False,
) -> DatasetResult:
    """Classify every article of a dataset into a folder of Parquet (or JSONL) part files.

    `source`: a JSONL, CSV or Parquet file or a folder of them (a `text_column`, and an `id_column`
    whose values become `article_id`; with the local engine, the row number when there is none), or a folder of
    .txt/.html/.htm articles (ids: their paths inside it). `engine="ray"` runs on the Ray cluster at
    `address` (default: RAY_ADDRESS, else a local one started for the job) with `workers` actors
    (default: one per CPU but one). The output appears only when complete; an existing one is replaced only
    with `overwrite`. `progress`: True for a bar on stderr, or a callable given the paragraphs done so far.
    """
    engine, fmt = Engine(engine), DatasetFormat(fmt)
    if batch_size < 1 or articles_per_batch < 1:
        raise InputError(f"batch sizes must be at least 1, got {batch_size} and {articles_per_batch}")
    if workers is not None and workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}")
    if engine is Engine.ray:
        _import_ray()  # before anything is read: without Ray, say how to get it
    source = _find_input(str(source), text_column, id_column)
    if engine is Engine.ray and source.kind != "articles" and not source.has_id:
        raise InputError(f"{source.files[0]}: no column {id_column!r}; --engine ray needs article ids (it reads files in "
                         "parallel, so rows have no number): add one, name it with --id-column, or use --engine local")
    out_fs, out_path = _filesystem(str(output))
    _check_output(source, out_fs, out_path, str(output), overwrite)
    from model.loading import DEFAULT_MODEL_DIR, check_model_dir

    check_model_dir(Path(model) if model is not None else DEFAULT_MODEL_DIR)  # a bad model fails before anything is read
    options = dict(model=str(model) if model is not None else None, backend=backend, text_column=text_column,
                   id_column=id_column if source.has_id else ROW_NUMBER, summary=summary, batch_size=batch_size,
                   files=source.kind == "articles", root=source.root)
    staging = _staging(out_fs, out_path)
    started = time.perf_counter()
    report, stop = _progress_reporter(progress)
    try:
        if engine is Engine.local:
            tally = _run_local(source, Path(staging), fmt, options, articles_per_batch, report)
        else:
            _run_ray(source, staging, fmt, options, id_column, articles_per_batch, workers, address, report)
            tally = _count_output(out_fs, staging, fmt, summary)
    except BaseException:
        stop()
        _remove(out_fs, staging)
        raise
    stop()
    if tally.articles == 0:
        _remove(out_fs, staging)
        raise InputError(f"{output}: not written, the input holds no articles")
    _publish(out_fs, staging, out_path)
    return DatasetResult(str(output), tally.articles, tally.paragraphs, tally.errors, time.perf_counter() - started)


def _import_ray():
    try:
        import ray
        import ray.data
    except ImportError:
        raise InputError(f"--engine ray needs Ray, which is not installed: {RAY_EXTRA}") from None
    return ray


def _check_output(source: _Input, out_fs, out_path: str, given: str, overwrite: bool) -> None:
    """Refuse an output that exists (without overwrite), that is or holds the input, or whose folder is missing."""
    from pyarrow import fs

    if isinstance(out_fs, fs.LocalFileSystem):
        read = source.path
        if read == out_path or read.startswith(out_path + "/") or out_path.startswith(read + "/"):
            raise InputError(f"{given}: is, holds or lies inside the input; write elsewhere")
        parent = os.path.dirname(out_path)
        if not os.path.isdir(parent):
            raise InputError(f"cannot write {given}: directory {parent} does not exist")
    exists = out_fs.get_file_info(out_path).type != fs.FileType.NotFound
    if exists and not overwrite:
        raise InputError(f"{given}: already exists; give --overwrite to replace it")
    if exists and out_fs.get_file_info(out_path).type != fs.FileType.Directory:
        raise InputError(f"{given}: is a file; the output is a folder of part files")


def _staging(out_fs, out_path: str) -> str:
    """A folder beside the output for the job to write into; staging of killed local runs is removed first."""
    from pyarrow import fs

    from model.atomic import staging_dir

    if isinstance(out_fs, fs.LocalFileSystem):
        staging = staging_dir(Path(out_path))
        staging.mkdir()
        return str(staging)
    parent, _, name = out_path.rpartition("/")
    return f"{parent}/.{name}.partial-{os.getpid()}"


def _publish(out_fs, staging: str, out_path: str) -> None:
    """Move the finished staging folder to the output: a rename on local disk; file by file elsewhere."""
    from pyarrow import fs

    from model.atomic import replace_dir

    if isinstance(out_fs, fs.LocalFileSystem):
        replace_dir(Path(staging), Path(out_path))
        return
    if out_fs.get_file_info(out_path).type != fs.FileType.NotFound:
        out_fs.delete_dir(out_path)
    out_fs.create_dir(out_path)
    for info in out_fs.get_file_info(fs.FileSelector(staging, recursive=True)):
        if info.type == fs.FileType.File:
            out_fs.move(info.path, f"{out_path}/{info.path[len(staging) + 1:]}")
    out_fs.delete_dir(staging)


def _remove(out_fs, staging: str) -> None:
    from pyarrow import fs

    if out_fs.get_file_info(staging).type != fs.FileType.NotFound:
        out_fs.delete_dir(staging)


def _progress_reporter(progress: bool | Callable[[int], None]) -> tuple[Callable[[int], None], Callable[[], None]]:
    """(report paragraphs done so far, stop): a tqdm bar on stderr, the caller's callable, or nothing."""
    if callable(progress):
        return progress, lambda: None
    if not progress:
        return lambda done: None, lambda: None
    from tqdm import tqdm

    bar = tqdm(desc="classify-dataset", unit=" paragraphs", file=sys.stderr, smoothing=0.1)

    def report(done: int) -> None:
        bar.update(done - bar.n)

    return report, bar.close


def _run_local(source: _Input, staging: Path, fmt: DatasetFormat, options: dict, articles_per_batch: int,
               report: Callable[[int], None]) -> _Tally:
    classifier = ParagraphClassifier(**options)
    writer = _PartWriter(staging, fmt, classifier.schema)
    tally = _Tally()
    try:
        for batch in _local_batches(source, options["text_column"], options["id_column"], articles_per_batch):
            table = classifier(batch)
            writer.write(table)
            tally.add(table, options["summary"])
            report(tally.paragraphs)
    finally:
        writer.close()
    return tally


class _CountingClassifier(ParagraphClassifier):
    """A ParagraphClassifier that tells a progress actor how many paragraphs each batch gave."""

    def __init__(self, progress_actor, **options):
        super().__init__(**options)
        self.progress_actor = progress_actor

    def __call__(self, batch):
        table = super().__call__(batch)
        self.progress_actor.add.remote(table.num_rows)
        return table


def _run_ray(source: _Input, staging: str, fmt: DatasetFormat, options: dict, id_column: str, articles_per_batch: int,
             workers: int | None, address: str | None, report: Callable[[int], None]) -> None:
    import logging

    ray = _import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
        except Exception as exc:  # no cluster at that address
            where = address or os.environ.get("RAY_ADDRESS") or "a local instance"
            raise RunError(f"cannot start or reach Ray at {where}: {first_line(exc)}") from None
    context, data_log = ray.data.DataContext.get_current(), logging.getLogger("ray.data")
    saved = context.enable_progress_bars, context.print_on_execution_start, data_log.level
    context.enable_progress_bars = context.print_on_execution_start = False  # ours is the bar
    data_log.setLevel(logging.ERROR)  # Ray Data tells of each step at INFO on its own handler
    try:
        cpus = ray.cluster_resources().get("CPU", 1.0)
        workers = workers or max(1, int(cpus) - 1)
        # Each actor runs the model on its share of the cores, and asks Ray for at most its share of
        # all CPUs but one: Ray Data lists files with tasks that need a CPU of their own.
        threads = max(1, round(cpus / workers))
        counter = _progress_actor(ray)
        columns = [options["text_column"]] + [id_column] * source.has_id
        rows = _ray_read(ray, source, columns, concurrency=workers).map_batches(
            _CountingClassifier, fn_constructor_kwargs={"progress_actor": counter, **options},
            batch_size=articles_per_batch, batch_format="pandas" if source.kind == "jsonl" else "pyarrow",
            compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=min(threads, max(cpus - 1, 0) / workers),
            runtime_env={"env_vars": {"OMP_NUM_THREADS": str(threads)}})  # a dead actor is restarted and its batch rerun
        done = threading.Event()
        poller = threading.Thread(target=_poll, args=(ray, counter, report, done), daemon=True)
        poller.start()
        try:
            write = rows.write_parquet if fmt is DatasetFormat.parquet else rows.write_json
            write(staging, concurrency=workers, ray_remote_args={"num_cpus": 0})
        except Exception as exc:
            raise _ray_failure(exc) from None
        finally:
            done.set()
            poller.join()
        report(ray.get(counter.total.remote()))
    finally:
        context.enable_progress_bars, context.print_on_execution_start = saved[:2]
        data_log.setLevel(saved[2])
        if started_here:
            ray.shutdown()


def _ray_read(ray, source: _Input, columns: list[str], concurrency: int):
    """The input as a Ray Dataset, read by Ray Data's own readers, `concurrency` tasks at a time.

    The read tasks (and the write tasks) ask for no CPU: they mostly wait on storage, and the actors
    may hold every CPU. Asking for none, they are not limited by the CPUs either, so uncapped Ray
    starts a worker process per file at once: 21 processes on the 20 files of the bench archive, and
    the first labelled batch 15 s later. A task per actor keeps the actors fed, since reading
    or writing a file takes a small part of the time to label it.
    """
    files = [source.scheme + f for f in source.files]
    common = dict(num_cpus=0, concurrency=concurrency)
    try:
        if source.kind == "articles":
            return ray.data.read_binary_files(files, include_paths=True, **common)
        if source.kind == "jsonl":  # pandas keeps mixed-type columns as objects, so a bad row reaches us
            articles = ray.data.read_json(files, lines=True, file_extensions=None, **common)
        elif source.kind == "csv":
            articles = ray.data.read_csv(files, file_extensions=None, convert_options=_csv_options(columns), **common)
        else:
            articles = ray.data.read_parquet(files, file_extensions=None, **common).select_columns(columns)
        return articles
    except Exception as exc:
        raise _ray_failure(exc) from None


def _progress_actor(ray):
    @ray.remote(num_cpus=0)
    class Progress:
        """Paragraphs done so far (a retried batch counts twice: this is for the progress bar only)."""

        def __init__(self):
            self.paragraphs = 0

        def add(self, paragraphs: int) -> None:
            self.paragraphs += paragraphs

        def total(self) -> int:
            return self.paragraphs

    return Progress.remote()


def _poll(ray, counter, report: Callable[[int], None], done: threading.Event) -> None:
    while not done.wait(0.5):
        try:
            report(ray.get(counter.total.remote(), timeout=5))
        except Exception:  # a slow answer only delays the bar
            continue


def _ray_failure(exc: BaseException) -> ConflictParagraphsError:
    """The first error of ours, or the root cause, inside what Ray raised, as one line."""
    seen = exc
    while True:
        if isinstance(seen, ConflictParagraphsError):
            return seen
        inner = getattr(seen, "cause", None) or seen.__cause__
        if inner is None or inner is seen:
            break
        seen = inner
    return RunError(f"the Ray job failed: {type(seen).__name__}: {first_line(seen)}")


def _count_output(out_fs, staging: str, fmt: DatasetFormat, summary: bool) -> _Tally:
    """Count what the Ray job wrote (articles, paragraphs, errors), reading only the columns needed."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import fs

    tally = _Tally()
    columns = ["paragraphs" if summary else "paragraph", "error"]
    for info in out_fs.get_file_info(fs.FileSelector(staging, recursive=True)):
        if info.type != fs.FileType.File:
            continue
        if fmt is DatasetFormat.parquet:
            for batch in pq.ParquetFile(out_fs.open_input_file(info.path)).iter_batches(columns=columns):
                tally.add(pa.Table.from_batches([batch]), summary)
        else:
            schema = pa.schema([(columns[0], pa.int64()), ("error", pa.string())])
            with out_fs.open_input_stream(info.path) as raw:
                rows = ({c: row.get(c) for c in columns} for row in map(json.loads, _lines(raw)))
                while chunk := list(itertools.islice(rows, ROW_GROUP_ROWS)):
                    tally.add(pa.Table.from_pylist(chunk, schema=schema), summary)
    return tally
