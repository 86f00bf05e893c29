"""Every public data set, registered in one place.

A source module declares its :class:`~training.datasets.base.Source` (name, licence, loader);
adding a source means writing that module and adding one line to :data:`SOURCES` below. The
order is the order rows are concatenated, which decides a cross-source duplicate's source, so
new sources go at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from training.datasets import (
    civil_comments,
    davidson,
    dynahate,
    ethos,
    gab,
    hatemoji,
    hatexplain,
    implicit_hate,
    jigsaw_samples,
    jigsaw_train,
    mhs,
    olid,
    sbic,
    templates,
    tweeteval_hate,
    vicomtech,
    wikipedia_cat,
)
from training.datasets.base import DataDir, LabeledSet, Loader, Source, resolve_data_dir


def _by_name(*sources: Source) -> dict[str, Source]:
    registered: dict[str, Source] = {}
    for source in sources:
        if source.name in registered:
            raise ValueError(f"data source {source.name!r} registered twice")
        registered[source.name] = source
    return registered


#: Every public set by name, in load order.
SOURCES: Final = _by_name(
    jigsaw_samples.SOURCE,
    civil_comments.SOURCE,
    davidson.SOURCE,
    olid.SOURCE,
    gab.SOURCE,
    implicit_hate.SOURCE,
    vicomtech.SOURCE,
    ethos.SOURCE,
    jigsaw_train.SOURCE,
    wikipedia_cat.SOURCE,
    dynahate.SOURCE,
    hatemoji.SOURCE,
    hatexplain.SOURCE,
    sbic.SOURCE,
    mhs.SOURCE,
    tweeteval_hate.SOURCE,
    templates.SOURCE,
)

#: Every public set's loader, in the order rows are concatenated.
LOADERS: Final[dict[str, Loader]] = {name: source.load for name, source in SOURCES.items()}

#: Each public set's licence, recorded in a model's manifest so its documentation can list them.
SOURCE_LICENSES: Final[dict[str, str]] = {name: source.license for name, source in SOURCES.items()}


def load_all(data_dir: DataDir = None, sources: Sequence[str] | None = None) -> LabeledSet:
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
