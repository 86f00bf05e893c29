"""Loaders that map each public data set (and a user's own files) onto the six-label schema.

Every loader returns a :class:`LabeledSet`: raw texts, a float32 ``(n, 6)`` label matrix in
``LABELS`` order and one source name per row. A label a data set says nothing about is ``NaN``
(unknown: masked in training and in every metric), never guessed as 0. The one inference every
loader makes is that a text that is not toxic is none of the five sub-labels either, so a row
with ``toxic == 0`` has all six labels at 0.

The data directory defaults to ``../shared/data`` next to the project checkout; pass
``data_dir`` or set ``TOXMOD_DATA_DIR`` to use another. Data is read in place, never copied.

Mappings (the data README's suggestion, with the refinements said in each loader's docstring):

================  ==========================================================================
source            mapping
================  ==========================================================================
civil_comments    toxic = share of annotators who found toxicity >= 0.5; typed spans found
                  by at least half of the annotators set insult / obscene / identity_hate /
                  threat (below half: 0); severe_toxic unknown
davidson          hate -> toxic, identity_hate; offensive -> toxic; neither -> all 0
vicomtech         hate -> toxic, identity_hate; noHate -> all 0; relation, idk/skip dropped
jigsaw_samples    all six as given
olid              NOT -> all 0; OFF -> toxic; TIN+IND -> insult; TIN+GRP -> identity_hate;
                  UNT -> insult 0, identity_hate 0
implicit_hate     not_hate -> all 0; implicit/explicit hate -> toxic, identity_hate; stage-2
                  threatening -> threat 1, any other stage-2 subtype -> threat 0
ethos             isHate >= 0.5 -> toxic, identity_hate (+ insult if directed, threat from
                  violence); isHate == 0 -> all 0; in between dropped
gab               toxic = hd or cv or vo; identity_hate = hd, threat = cv, obscene = vo
================  ==========================================================================
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

import numpy as np
import numpy.typing as npt

from classifier.labels import LABELS

#: Environment variable that overrides the default data directory.
DATA_DIR_ENV: Final = "TOXMOD_DATA_DIR"
#: ``../shared/data`` next to the project checkout.
DEFAULT_DATA_DIR: Final = Path(__file__).resolve().parents[1].parent / "shared" / "data"

_N_LABELS: Final = len(LABELS)
_COL: Final = {label: i for i, label in enumerate(LABELS)}
_NAN: Final = float("nan")

LabelRow = dict[str, float]
FloatMatrix = npt.NDArray[np.float32]


@dataclass
class LabeledSet:
    """Texts with their (partly unknown) labels and where each row came from.

    ``labels`` is float32 ``(len(texts), 6)`` in ``LABELS`` order: 1.0, 0.0 or ``NaN`` (unknown).
    """

    texts: list[str]
    labels: FloatMatrix
    sources: list[str]
    #: Free-form notes a loader wants recorded (rows dropped and why).
    notes: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.texts)
        if self.labels.shape != (n, _N_LABELS) or len(self.sources) != n:
            raise ValueError(
                f"inconsistent LabeledSet: {n} texts, labels {self.labels.shape}, "
                f"{len(self.sources)} sources"
            )

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: Sequence[int] | npt.NDArray[np.intp]) -> LabeledSet:
        """Rows ``index`` (in that order) as a new set."""
        idx = np.asarray(index, dtype=np.intp)
        return LabeledSet(
            texts=[self.texts[i] for i in idx],
            labels=self.labels[idx].copy(),
            sources=[self.sources[i] for i in idx],
        )

    @staticmethod
    def concat(parts: Sequence[LabeledSet]) -> LabeledSet:
        """All rows of ``parts`` in order; notes are prefixed with each part's first source."""
        if not parts:
            return LabeledSet([], np.empty((0, _N_LABELS), dtype=np.float32), [])
        notes: dict[str, int] = {}
        for part in parts:
            prefix = part.sources[0] if part.sources else "empty"
            notes.update({f"{prefix}.{key}": value for key, value in part.notes.items()})
        return LabeledSet(
            texts=[t for p in parts for t in p.texts],
            labels=np.concatenate([p.labels for p in parts]).astype(np.float32),
            sources=[s for p in parts for s in p.sources],
            notes=notes,
        )

    def label_counts(self) -> dict[str, dict[str, int]]:
        """Per label: rows known, positive, negative (JSON-able)."""
        known = ~np.isnan(self.labels)
        positive = np.nan_to_num(self.labels, nan=0.0) >= 0.5
        return {
            label: {
                "known": int(known[:, j].sum()),
                "positive": int((positive[:, j] & known[:, j]).sum()),
                "negative": int((~positive[:, j] & known[:, j]).sum()),
            }
            for j, label in enumerate(LABELS)
        }

    def label_counts_per_source(self) -> dict[str, Any]:
        """Per source: its rows and :meth:`label_counts` (JSON-able, sources sorted)."""
        counts: dict[str, Any] = {}
        for source in sorted(set(self.sources)):
            rows = [i for i, s in enumerate(self.sources) if s == source]
            counts[source] = {"rows": len(rows), "labels": self.subset(rows).label_counts()}
        return counts


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """``data_dir`` if given, else ``$TOXMOD_DATA_DIR``, else :data:`DEFAULT_DATA_DIR`."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else DEFAULT_DATA_DIR


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _row(**known: float) -> LabelRow:
    return dict(known)


def _not_toxic() -> LabelRow:
    return dict.fromkeys(LABELS, 0.0)


def _build(
    rows: Sequence[tuple[str, LabelRow]], source: str, notes: dict[str, int] | None = None
) -> LabeledSet:
    labels = np.full((len(rows), _N_LABELS), np.nan, dtype=np.float32)
    for i, (_, row) in enumerate(rows):
        for label, value in row.items():
            labels[i, _COL[label]] = value
    _apply_non_toxic_rule(labels)
    return LabeledSet(
        texts=[text for text, _ in rows],
        labels=labels,
        sources=[source] * len(rows),
        notes=dict(notes or {}),
    )


def _apply_non_toxic_rule(labels: FloatMatrix) -> None:
    """A text that is not toxic is none of the sub-labels: ``toxic == 0`` sets the rest to 0."""
    labels[labels[:, _COL["toxic"]] == 0.0] = 0.0


# --- the public data sets -------------------------------------------------------------------

_SPAN_TYPE_LABELS: Final = {
    "Insult": "insult",
    "Profane/Obscene": "obscene",
    "Identity based Attack": "identity_hate",
    "Threat": "threat",
    "Other Toxicity": None,
}


def _span_label(raw_type: str) -> str | None:
    """Map a span type, including the truncated ones (``Insu``, ``Identity based``)."""
    raw_type = raw_type.strip()
    if len(raw_type) < 4:
        return None
    for full, label in _SPAN_TYPE_LABELS.items():
        if full.startswith(raw_type):
            return label
    return None


def load_civil_comments(data_dir: str | os.PathLike[str] | None = None) -> LabeledSet:
    """Civil Comments toxic spans (16,100 news comments, 3+ annotators each).

    ``toxic`` is 1 when at least half of a comment's annotators found toxicity. Refinement: an
    annotator "found toxicity" when they did not tick ``not toxic`` *or* marked at least one
    span; in this copy ~1,000 annotations tick ``not toxic`` and still mark typed spans, and the
    spans are the more specific evidence. A span type (Insult, Profane/Obscene, Identity based
    Attack, Threat) marked by at least half of the annotators sets its label to 1, otherwise 0
    (each annotator could type the spans they marked). ``severe_toxic`` stays unknown.
    """
    folder = resolve_data_dir(data_dir) / "civil_comments_toxic_spans"
    annotation_comment: dict[str, str] = {}
    annotators: defaultdict[str, set[str]] = defaultdict(set)
    said_not_toxic: set[str] = set()
    with _open_text(folder / "annotations.csv.gz") as handle:
        for rec in csv.DictReader(handle):
            annotation_comment[rec["annotation"]] = rec["comment_id"]
            annotators[rec["comment_id"]].add(rec["annotation"])
            if rec["not toxic"] == "True":
                said_not_toxic.add(rec["annotation"])
    span_labels: defaultdict[str, set[str]] = defaultdict(set)  # annotation -> labels
    with_spans: set[str] = set()
    with _open_text(folder / "spans.csv.gz") as handle:
        for rec in csv.DictReader(handle):
            with_spans.add(rec["annotation"])
            label = _span_label(rec["type"])
            if label is not None:
                span_labels[rec["annotation"]].add(label)
    rows: list[tuple[str, LabelRow]] = []
    unannotated = 0
    with _open_text(folder / "comments.csv.gz") as handle:
        for rec in csv.DictReader(handle):
            anns = annotators.get(rec["comment_id"])
            if not anns:
                unannotated += 1
                continue
            n = len(anns)
            toxic_votes = sum(1 for a in anns if a not in said_not_toxic or a in with_spans)
            if toxic_votes / n < 0.5:
                rows.append((rec["comment_text"], _not_toxic()))
                continue
            votes = Counter(label for a in anns for label in span_labels.get(a, ()))
            row = _row(toxic=1.0)
            for label in ("insult", "obscene", "identity_hate", "threat"):
                row[label] = 1.0 if votes[label] / n >= 0.5 else 0.0
            rows.append((rec["comment_text"], row))
    return _build(rows, "civil_comments", {"dropped_unannotated": unannotated})


def load_davidson(data_dir: str | os.PathLike[str] | None = None) -> LabeledSet:
    """Davidson et al. tweets: ``class`` 0 hate, 1 offensive, 2 neither (annotator majority).

    hate -> toxic, identity_hate; offensive -> toxic (rest unknown); neither -> all 0.
    """
    path = resolve_data_dir(data_dir) / "davidson_hate_offensive" / "labeled_data.csv.gz"
    rows: list[tuple[str, LabelRow]] = []
    with _open_text(path) as handle:
        for rec in csv.DictReader(handle):
            cls = rec["class"]
            if cls == "0":
                rows.append((rec["tweet"], _row(toxic=1.0, identity_hate=1.0)))
            elif cls == "1":
                rows.append((rec["tweet"], _row(toxic=1.0)))
            elif cls == "2":
                rows.append((rec["tweet"], _not_toxic()))
    return _build(rows, "davidson")


def load_vicomtech(data_dir: str | os.PathLike[str] | None = None) -> LabeledSet:
    """Vicomtech Stormfront sentences: hate -> toxic, identity_hate; noHate -> all 0.

    ``relation`` (hateful only with its neighbour sentence) and ``idk/skip`` are dropped.
    Both the authors' sampled split and the unsampled rows are used.
    """
    path = resolve_data_dir(data_dir) / "vicomtech_hate_speech" / "sentences.csv.gz"
    rows: list[tuple[str, LabelRow]] = []
    dropped = 0
    with _open_text(path) as handle:
        for rec in csv.DictReader(handle):
            if rec["label"] == "hate":
                rows.append((rec["text"], _row(toxic=1.0, identity_hate=1.0)))
            elif rec["label"] == "noHate":
                rows.append((rec["text"], _not_toxic()))
            else:
                dropped += 1
    return _build(rows, "vicomtech", {"dropped_relation_or_skip": dropped})


def load_jigsaw_samples(data_dir: str | os.PathLike[str] | None = None) -> LabeledSet:
    """The 101 Jigsaw 2018 samples, all six labels as given."""
    path = resolve_data_dir(data_dir) / "jigsaw_samples" / "ibm_max_examples.csv"
    rows: list[tuple[str, LabelRow]] = []
    with _open_text(path) as handle:
        for rec in csv.DictReader(handle):
            rows.append((rec["comment_text"], {label: float(rec[label]) for label in LABELS}))
    return _build(rows, "jigsaw_samples")


def _olid_row(a: str, b: str, c: str) -> LabelRow | None:
    if a == "NOT":
        return _not_toxic()
    if a != "OFF":
        return None
    row = _row(toxic=1.0)
    if b == "UNT":  # untargeted profanity: offensive, but aimed at no one
        row.update(insult=0.0, identity_hate=0.0)
    elif b == "TIN" and c == "IND":
        row["insult"] = 1.0
    elif b == "TIN" and c == "GRP":
        row["identity_hate"] = 1.0
    return row


def _read_two_column_labels(path: Path) -> dict[str, str]:
    with _open_text(path) as handle:
        return {rec[0]: rec[1].strip() for rec in csv.reader(handle) if len(rec) >= 2}


def load_olid(data_dir: str | os.PathLike[str] | None = None) -> LabeledSet:
    """OLID / OffensEval 2019, training and test tweets.

    NOT -> all 0; OFF -> toxic; OFF+TIN+IND -> insult; OFF+TIN+GRP -> identity_hate (a targeted
    attack on a group, roughly). Refinement: OFF+UNT (untargeted profanity) -> insult 0 and
    identity_hate 0, since an untargeted post attacks no one. Everything else unknown.
    """
    folder = resolve_data_dir(data_dir) / "olid_offenseval2019"
    rows: list[tuple[str, LabelRow]] = []
    with _open_text(folder / "olid-training-v1.0.tsv.gz") as handle:
        for rec in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            row = _olid_row(rec["subtask_a"], rec["subtask_b"], rec["subtask_c"])
            if row is not None:
                rows.append((rec["tweet"], row))
    level_a = _read_two_column_labels(folder / "labels-levela.csv")
    level_b = _read_two_column_labels(folder / "labels-levelb.csv")
    level_c = _read_two_column_labels(folder / "labels-levelc.csv")
    with _open_text(folder / "testset-levela.tsv") as handle:
        for rec in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            tweet_id = rec["id"]
            row = _olid_row(
                level_a.get(tweet_id, ""), level_b.get(tweet_id, ""), level_c.get(tweet_id, "")
            )
            if row is not None:
                rows.append((rec["tweet"], row))
    return _build(rows, "olid")


def load_implicit_hate(data_dir: str | os.PathLike[str] | None = None) -> LabeledSet:
    """Implicit Hate (SALT-NLP) tweets, lower-cased by the authors.

    not_hate -> all 0; implicit_hate and explicit_hate -> toxic, identity_hate. Stage-2 subtypes
    join on the post text: ``threatening`` (as main or extra class) -> threat 1; refinement: a
    post with another stage-2 subtype -> threat 0 (its annotators chose a non-threat subtype).
    """
    folder = resolve_data_dir(data_dir) / "implicit_hate"
    subtypes: dict[str, set[str]] = defaultdict(set)
    with _open_text(folder / "implicit_hate_v1_stg2_posts.tsv.gz") as handle:
        for rec in csv.DictReader(handle, delimiter="\t"):
            subtypes[rec["post"]].update(
                s for s in (rec["implicit_class"], rec["extra_implicit_class"]) if s
            )
    rows: list[tuple[str, LabelRow]] = []
    dropped = 0
    with _open_text(folder / "implicit_hate_v1_stg1_posts.tsv.gz") as handle:
        for rec in csv.DictReader(handle, delimiter="\t"):
            cls = rec["class"]
            if cls == "not_hate":
                rows.append((rec["post"], _not_toxic()))
            elif cls in ("implicit_hate", "explicit_hate"):
                row = _row(toxic=1.0, identity_hate=1.0)
                found = subtypes.get(rec["post"])
                if found:
                    row["threat"] = 1.0 if "threatening" in found else 0.0
                rows.append((rec["post"], row))
            else:
                dropped += 1
    return _build(rows, "implicit_hate", {"dropped_unknown_class": dropped})


def load_ethos(data_dir: str | os.PathLike[str] | None = None) -> LabeledSet:
    """ETHOS YouTube/Reddit comments; ``isHate`` is the share of annotators who saw hate.

    ``isHate >= 0.5`` -> toxic, identity_hate; with the multi-label file (joined on the text),
    ``directed_vs_generalized >= 0.5`` -> insult 1 (else unknown) and ``violence >= 0.5`` ->
    threat 1 (else 0). ``isHate == 0`` -> all 0. Rows in between (a minority saw hate) are
    dropped rather than guessed.
    """
    folder = resolve_data_dir(data_dir) / "ethos"
    multi: dict[str, dict[str, float]] = {}
    with _open_text(folder / "Ethos_Dataset_Multi_Label.csv") as handle:
        for rec in csv.DictReader(handle, delimiter=";"):
            try:
                multi[rec["comment"]] = {
                    "violence": float(rec["violence"]),
                    "directed": float(rec["directed_vs_generalized"]),
                }
            except (TypeError, ValueError):
                continue
    rows: list[tuple[str, LabelRow]] = []
    dropped = 0
    with _open_text(folder / "Ethos_Dataset_Binary.csv") as handle:
        for rec in csv.DictReader(handle, delimiter=";"):
            try:
                share = float(rec["isHate"])
            except (TypeError, ValueError):
                dropped += 1
                continue
            if share == 0.0:
                rows.append((rec["comment"], _not_toxic()))
            elif share >= 0.5:
                row = _row(toxic=1.0, identity_hate=1.0)
                extra = multi.get(rec["comment"])
                if extra is not None:
                    row["threat"] = 1.0 if extra["violence"] >= 0.5 else 0.0
                    if extra["directed"] >= 0.5:
                        row["insult"] = 1.0
                rows.append((rec["comment"], row))
            else:
                dropped += 1
    return _build(rows, "ethos", {"dropped_minority_hate_or_malformed": dropped})


def load_gab(data_dir: str | os.PathLike[str] | None = None) -> LabeledSet:
    """Gab Hate Corpus (train and test): binary majority labels ``hd``, ``cv``, ``vo``.

    toxic = any of the three; refinement: each of the three is a label the annotators judged
    on every post, so identity_hate = hd, threat = cv and obscene = vo are known (0 or 1) on
    every row; insult and severe_toxic stay unknown unless the post is not toxic at all.
    """
    folder = resolve_data_dir(data_dir) / "gab_hate_corpus"
    rows: list[tuple[str, LabelRow]] = []
    for name in ("ghc_train.tsv.gz", "ghc_test.tsv.gz"):
        with _open_text(folder / name) as handle:
            for rec in csv.DictReader(handle, delimiter="\t"):
                hd, cv, vo = (float(rec[k] or 0) for k in ("hd", "cv", "vo"))
                toxic = max(hd, cv, vo)
                if toxic == 0.0:
                    rows.append((rec["text"], _not_toxic()))
                else:
                    rows.append(
                        (rec["text"], _row(toxic=1.0, identity_hate=hd, threat=cv, obscene=vo))
                    )
    return _build(rows, "gab")


#: Every public set, in the order rows are concatenated (which decides a duplicate's source).
LOADERS: Final[dict[str, Callable[[str | os.PathLike[str] | None], LabeledSet]]] = {
    "jigsaw_samples": load_jigsaw_samples,
    "civil_comments": load_civil_comments,
    "davidson": load_davidson,
    "olid": load_olid,
    "gab": load_gab,
    "implicit_hate": load_implicit_hate,
    "vicomtech": load_vicomtech,
    "ethos": load_ethos,
}


def load_all(
    data_dir: str | os.PathLike[str] | None = None, sources: Sequence[str] | None = None
) -> LabeledSet:
    """Every public set (or the named ``sources``) concatenated in :data:`LOADERS` order.

    Raises ``FileNotFoundError`` when the data directory is missing, ``KeyError`` on an
    unknown source name.
    """
    root = resolve_data_dir(data_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"training data directory not found: {root}")
    names = list(LOADERS) if sources is None else list(sources)
    unknown = [name for name in names if name not in LOADERS]
    if unknown:
        raise KeyError(f"unknown data sources {unknown}; known: {list(LOADERS)}")
    return LabeledSet.concat([LOADERS[name](root) for name in names])


# --- a user's own data ----------------------------------------------------------------------

_TRUE: Final = frozenset({"1", "true", "yes", "y", "t"})
_FALSE: Final = frozenset({"0", "false", "no", "n", "f"})
_MISSING: Final = frozenset({"", "nan", "null", "none", "na", "n/a", "?"})


def _parse_label(value: object) -> float:
    """1.0 / 0.0 / NaN from a cell: booleans, 0/1, yes/no, or a share in [0, 1] (>= 0.5 -> 1)."""
    if value is None:
        return _NAN
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().lower()
        if text in _MISSING:
            return _NAN
        if text in _TRUE:
            return 1.0
        if text in _FALSE:
            return 0.0
        try:
            number = float(text)
        except ValueError:
            raise ValueError(
                f"cannot read {value!r} as a label (use 0/1, true/false or empty)"
            ) from None
    if math.isnan(number):
        return _NAN
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"label value {number} outside [0, 1]")
    return 1.0 if number >= 0.5 else 0.0


def _iter_records(path: Path, delimiter: str | None) -> Iterator[Mapping[str, object]]:
    name = path.name.lower().removesuffix(".gz")
    with _open_text(path) as handle:
        if name.endswith((".jsonl", ".ndjson")):
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError(f"{path}:{line_no}: expected a JSON object per line")
                yield record
            return
        if delimiter is None:
            delimiter = "\t" if name.endswith(".tsv") else ","
        yield from csv.DictReader(handle, delimiter=delimiter)


def load_labeled_file(
    path: str | os.PathLike[str],
    *,
    text_column: str = "text",
    label_columns: Mapping[str, str] | Sequence[str] | None = None,
    source: str | None = None,
    delimiter: str | None = None,
) -> LabeledSet:
    """Load a user's own labelled comments from CSV, TSV or JSONL (optionally ``.gz``).

    ``label_columns`` maps schema labels to column names (``{"toxic": "is_abusive"}``), or lists
    schema labels whose column has the same name; default: every schema label that is a column.
    Cells may be 0/1, true/false, yes/no, a share in [0, 1] (>= 0.5 is positive) or empty
    (unknown). Labels with no column are unknown for every row; ``toxic == 0`` still sets the
    other five to 0. Rows whose text is empty are skipped.

    Raises ``ValueError`` on a missing text or label column or an unreadable label value.
    """
    file_path = Path(path)
    if label_columns is None:
        mapping: dict[str, str] | None = None
    elif isinstance(label_columns, Mapping):
        mapping = dict(label_columns)
    else:
        mapping = {label: label for label in label_columns}
    if mapping is not None:
        bad = [label for label in mapping if label not in _COL]
        if bad:
            raise ValueError(f"unknown labels {bad}; the schema is {list(LABELS)}")
    records = list(_iter_records(file_path, delimiter))
    columns = {key for record in records for key in record}
    if records and text_column not in columns:
        raise ValueError(f"{file_path}: no text column {text_column!r}")
    if mapping is None:
        mapping = {label: label for label in LABELS if label in columns}
        if records and not mapping:
            raise ValueError(f"{file_path}: no schema label columns found; pass label_columns")
    missing = [column for column in mapping.values() if column not in columns]
    if records and missing:
        raise ValueError(f"{file_path}: label columns {missing} not found")
    rows: list[tuple[str, LabelRow]] = []
    skipped = 0
    for line_no, record in enumerate(records, start=1):
        text = record.get(text_column)
        if text is None or not str(text).strip():
            skipped += 1
            continue
        try:
            # A JSON record may leave a label out: unknown, like an empty cell.
            row = {label: _parse_label(record.get(column)) for label, column in mapping.items()}
        except ValueError as exc:
            raise ValueError(f"{file_path}: record {line_no}: {exc}") from None
        rows.append((str(text), row))
    return _build(rows, source or file_path.name, {"skipped_empty_text": skipped})


# --- moderator corrections (docs/corrections-format.md) ---------------------------------------

#: The one corrections format this code reads.
CORRECTIONS_FORMAT: Final = "toxmod-corrections/1"
#: Source name given to every corrections row.
CORRECTIONS_SOURCE: Final = "corrections"


def _correction_label(value: object, where: str, label: str) -> float:
    """``1`` / ``0`` / ``null`` (JSON) or ``"1"`` / ``"0"`` / ``""`` (CSV) -> 1.0 / 0.0 / NaN."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return _NAN
    if isinstance(value, bool):
        raise ValueError(f"{where}: label {label!r} must be 1, 0 or null, got {value!r}")
    if isinstance(value, int | float) and float(value) in (0.0, 1.0):
        return float(value)
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return float(value.strip())
    raise ValueError(f"{where}: label {label!r} must be 1, 0 or null, got {value!r}")


def _correction_records(path: Path) -> Iterator[tuple[str, Mapping[str, object]]]:
    """(where, record with ``format``, ``text`` and ``labels``) for each line or row."""
    name = path.name.lower().removesuffix(".gz")
    with _open_text(path) as handle:
        if name.endswith((".jsonl", ".ndjson", ".json")):
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path}:{line_no}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{where}: not valid JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise ValueError(f"{where}: expected a JSON object per line")
                labels = record.get("labels")
                if not isinstance(labels, dict):
                    raise ValueError(f"{where}: 'labels' must be an object")
                yield where, record
        elif name.endswith(".csv"):
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            needed = ["format", "text", *(f"label_{label}" for label in LABELS)]
            missing = [column for column in needed if column not in header]
            if missing:
                raise ValueError(f"{path}: not a corrections CSV, missing columns {missing}")
            for row_no, rec in enumerate(reader, start=2):
                labels = {label: rec.get(f"label_{label}") for label in LABELS}
                yield f"{path}:{row_no}", {**rec, "labels": labels}
        else:
            raise ValueError(f"{path}: corrections must be .jsonl or .csv (optionally .gz)")


def load_corrections(path: str | os.PathLike[str]) -> LabeledSet:
    """Moderator corrections exported in the ``toxmod-corrections/1`` format (JSONL or CSV).

    Each record becomes one row with source ``"corrections"``: its text as submitted (callers
    normalise it, as for every loader) and its six labels, where ``null`` (JSON) or an empty
    cell (CSV) is unknown (NaN). A label missing from a JSON record's ``labels`` is unknown too.
    ``toxic == 0`` sets the other five to 0, as for every source.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for another extension, a
    record whose ``format`` is not ``toxmod-corrections/1``, a label other than 1/0/null, or a
    missing text.
    """
    file_path = Path(path)
    if not file_path.is_file():
        raise FileNotFoundError(f"corrections file not found: {file_path}")
    rows: list[tuple[str, LabelRow]] = []
    decisions: Counter[str] = Counter()
    for where, record in _correction_records(file_path):
        if record.get("format") != CORRECTIONS_FORMAT:
            raise ValueError(
                f"{where}: format {record.get('format')!r} is not {CORRECTIONS_FORMAT!r}"
            )
        text = record.get("text")
        if not isinstance(text, str):
            raise ValueError(f"{where}: 'text' is missing")
        raw_labels = record["labels"]
        assert isinstance(raw_labels, Mapping)
        unknown = [label for label in raw_labels if label not in _COL]
        if unknown:
            raise ValueError(f"{where}: unknown labels {unknown}")
        row = {label: _correction_label(raw_labels.get(label), where, label) for label in LABELS}
        rows.append((text, row))
        decisions[str(record.get("decision", "unknown"))] += 1
    notes = {f"decision_{decision}": count for decision, count in sorted(decisions.items())}
    return _build(rows, CORRECTIONS_SOURCE, notes)
