"""A tiny random-weight BERT and a word-level tokenizer built on the fly (no download, no files).

Tests fine-tune it for a few dozen steps: enough to check that training, chunking, artifacts
and explanations work end to end, in seconds.
"""

from __future__ import annotations

from pathlib import Path

#: Every word of the made-up test corpora, plus letters as a fallback for anything else.
_CORPUS = """
you are a stupid idiot what an total moron shut up pathetic loser i will hurt and your
family am going to badly this damn crap is shit the hell nobody likes get lost thank for
helpful edit article needs better source agree with proposed change nice photo of garden
today meeting moved friday please add citation claim good point thanks explaining weather
was lovely weekend can review my draft later welcome project glad joined
"""
WORDS = sorted(set(_CORPUS.split()))


def build_tiny_base(out_dir: Path, *, max_positions: int = 64) -> Path:
    """Write a random 1-layer BERT (hidden size 16) with a six-way head and its tokenizer."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    letters = list("abcdefghijklmnopqrstuvwxyz0123456789")
    vocab: dict[str, int] = {}
    for token in [*specials, *WORDS, *letters, *(f"##{c}" for c in letters)]:
        vocab.setdefault(token, len(vocab))
    backend = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    config = BertConfig(  # type: ignore[call-arg]
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=max_positions,
        num_labels=6,
        # Larger than BERT's 0.02 so that a 16-wide random model's outputs depend on its input.
        initializer_range=0.2,
    )
    import torch

    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir
