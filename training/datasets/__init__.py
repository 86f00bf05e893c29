"""Loaders that map each public data set (and a user's own files) onto the six-label schema.

Every loader returns a :class:`LabeledSet`: raw texts, a float32 ``(n, 6)`` label matrix in
``LABELS`` order, one source name per row, a split-group key per row (rows that must share a
split) and a natural-prevalence flag per row. A label a data set says nothing about is ``NaN``
(unknown: masked in training and in every metric), never guessed as 0. The one inference every
loader makes is that a text that is not toxic is none of the five sub-labels either, so a row
with ``toxic == 0`` has all six labels at 0.

The data directory defaults to ``../shared/data`` next to the project checkout; pass
``data_dir`` or set ``TOXMOD_DATA_DIR`` to use another. Data is read in place, never copied.

One module per public set declares its name, licence and loader; :mod:`.registry` lists them
(:data:`SOURCES`, :data:`LOADERS`, :data:`SOURCE_LICENSES`). :mod:`.own_files` reads a user's
own labelled files and :mod:`.corrections` moderator corrections.

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
jigsaw_train      all six as given; the 5k random sample's rows are natural
wikipedia_cat     CAT_LARGE_gn and CAT_SMALL's out-of-context label: 1 -> toxic, 0 -> all 0;
                  the in-context gc file unused; gn rows are natural
dynahate          hate -> toxic, identity_hate, threat from type; nothate -> identity_hate 0;
                  an original and its perturbations share a split group
hatemoji          as dynahate, on label_gold; original and perturbation share a split group
hatexplain        hate speech -> toxic, identity_hate; offensive -> toxic; normal -> all 0
sbic              offensiveYN >= 0.5 -> toxic (+ obscene if sexYN >= 0.5, identity_hate if a
                  group with a minority is targeted); 0 -> all 0; in between dropped
mhs               one row per comment; 1 -> toxic, identity_hate; 0 -> identity_hate 0
tweeteval_hate    1 -> toxic, identity_hate; 0 -> identity_hate 0
================  ==========================================================================
"""

from training.datasets.base import (
    DATA_DIR_ENV,
    DEFAULT_DATA_DIR,
    DataDir,
    FloatMatrix,
    LabeledSet,
    LabelRow,
    Loader,
    Source,
    _build,
    _not_toxic,
    _open_text,
    _row,
    resolve_data_dir,
)
from training.datasets.civil_comments import load_civil_comments
from training.datasets.corrections import (
    CORRECTIONS_FORMAT,
    CORRECTIONS_SOURCE,
    load_corrections,
)
from training.datasets.davidson import load_davidson
from training.datasets.dynahate import load_dynahate
from training.datasets.ethos import load_ethos
from training.datasets.gab import load_gab
from training.datasets.hatemoji import load_hatemoji
from training.datasets.hatexplain import load_hatexplain
from training.datasets.implicit_hate import load_implicit_hate
from training.datasets.jigsaw_samples import load_jigsaw_samples
from training.datasets.jigsaw_train import load_jigsaw_train
from training.datasets.mhs import load_mhs
from training.datasets.olid import load_olid
from training.datasets.own_files import load_labeled_file
from training.datasets.registry import LOADERS, SOURCE_LICENSES, SOURCES, load_all
from training.datasets.sbic import load_sbic
from training.datasets.tweeteval_hate import load_tweeteval_hate
from training.datasets.vicomtech import load_vicomtech
from training.datasets.wikipedia_cat import load_wikipedia_cat

__all__ = [
    "CORRECTIONS_FORMAT",
    "CORRECTIONS_SOURCE",
    "DATA_DIR_ENV",
    "DEFAULT_DATA_DIR",
    "LOADERS",
    "SOURCES",
    "SOURCE_LICENSES",
    "DataDir",
    "FloatMatrix",
    "LabelRow",
    "LabeledSet",
    "Loader",
    "Source",
    "_build",
    "_not_toxic",
    "_open_text",
    "_row",
    "load_all",
    "load_civil_comments",
    "load_corrections",
    "load_davidson",
    "load_dynahate",
    "load_ethos",
    "load_gab",
    "load_hatemoji",
    "load_hatexplain",
    "load_implicit_hate",
    "load_jigsaw_samples",
    "load_jigsaw_train",
    "load_labeled_file",
    "load_mhs",
    "load_olid",
    "load_sbic",
    "load_tweeteval_hate",
    "load_vicomtech",
    "load_wikipedia_cat",
    "resolve_data_dir",
]
