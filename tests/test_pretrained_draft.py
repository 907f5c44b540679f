"""The committed draft model (speculative decoding): small, verified, the course model's tokenizer.

The draft proposes tokens that the course model checks, so it must read and write the very
same token ids: its tokenizer.txt is the course model's file, byte for byte.
"""

import re
import shutil
import time

import pytest
import torch

from minillm.corpus import EOT, generate_corpus
from minillm.model import Transformer
from minillm.pretrained import (
    COURSE_MODEL_DIR,
    DRAFT_MODEL_DIR,
    PretrainedFileError,
    course_model_info,
    load_course_model,
    load_draft_model,
    verify_files,
)
from minillm.train.recipe import RECIPES

SAMPLE = "Once upon a time, Tom and Lily found 12 shells.\nQuestion: What is 3 + 4?\nAnswer: 7"


def test_loads_in_seconds_and_verifies():
    t = time.perf_counter()
    draft, tok = load_draft_model()
    assert time.perf_counter() - t < 30  # "in seconds", with margin for a loaded CI machine
    assert not draft.training and next(draft.parameters()).dtype == torch.float32
    assert draft.config.vocab_size == tok.vocab_size == 4096
    files = verify_files(DRAFT_MODEL_DIR)
    assert set(files) == {"model.safetensors", "tokenizer.txt"}
    size = sum((DRAFT_MODEL_DIR / f).stat().st_size for f in files)
    assert size < 5 * 2**20  # measured: 2.6 MB


def test_tokenizer_is_the_course_models():
    draft_file = (DRAFT_MODEL_DIR / "tokenizer.txt").read_bytes()
    assert draft_file == (COURSE_MODEL_DIR / "tokenizer.txt").read_bytes()
    _, draft_tok = load_draft_model()
    _, course_tok = load_course_model()
    assert draft_tok.vocab == course_tok.vocab
    assert draft_tok.special_tokens == course_tok.special_tokens
    assert draft_tok.encode(SAMPLE) == course_tok.encode(SAMPLE)


def test_draft_is_smaller_than_the_course_model():
    draft, _ = load_draft_model()
    course, _ = load_course_model()
    assert draft.config.n_layers in (1, 2)
    assert draft.config.n_layers < course.config.n_layers
    assert draft.num_params() < course.num_params() / 3  # measured: 1.25M against 5.25M
    assert draft.config.max_seq_len == course.config.max_seq_len
    info = course_model_info(DRAFT_MODEL_DIR)
    assert info["recipe"]["command"] == "minillm train --preset draft"
    assert info["recipe"]["recipe"] == RECIPES["draft"].to_dict()  # the committed recipe ran
    assert info["recipe"]["recipe"]["tokenizer_path"] == "assets/course_model/tokenizer.txt"
    # trained on the course model's corpus, from committed code
    assert info["recipe"]["corpus_sha256"] == course_model_info()["recipe"]["corpus_sha256"]
    assert re.fullmatch(r"[0-9a-f]{40}", info["recipe"]["minillm_commit"])


def test_draft_predicts_held_out_text_and_agrees_with_the_course_model():
    """Stories from a corpus seed no recipe used; 4 windows of 256 tokens.

    Measured: the draft 1.04 nats per token (metrics.json: 0.951 on the validation split; the
    course model gets 1.11 here) against 8.34 untrained; its greedy next token is the course
    model's on 83.4% of the 1024 positions.
    """
    draft, tok = load_draft_model()
    course, _ = load_course_model()
    text = generate_corpus(40_000, seed=987_654)
    T = 256
    ids = torch.tensor(tok.encode(text, allowed_special="all")[: 4 * (T + 1)]).view(4, T + 1)
    x, y = ids[:, :-1], ids[:, 1:]
    with torch.no_grad():
        out = draft(x, targets=y)
        torch.manual_seed(0)
        loss0 = Transformer(draft.config).eval()(x, targets=y).loss.item()
        agree = (out.logits.argmax(-1) == course(x).logits.argmax(-1)).float().mean().item()
    assert out.loss.item() < 1.2
    assert loss0 > 8.0
    recorded = course_model_info(DRAFT_MODEL_DIR)["metrics"]["val_loss"]
    assert abs(out.loss.item() - recorded) < 0.25  # the model the recipe measured
    assert agree > 0.78  # a draft that guesses the target's token: what speculation needs


@pytest.fixture
def copy(tmp_path):
    d = tmp_path / "draft_model"
    shutil.copytree(DRAFT_MODEL_DIR, d)
    return d


def test_corrupted_draft_is_named(copy):
    path = copy / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(PretrainedFileError, match="model.safetensors is corrupted.*--preset draft"):
        load_draft_model(copy)


def test_a_draft_with_another_tokenizer_is_refused(copy, tmp_path):
    """A consistent draft folder (its sums match) whose tokenizer is not the target's."""
    from minillm.hashing import file_sha256
    from minillm.tokenizer import BPETokenizer

    text = generate_corpus(1_000_000, seed=1)  # another corpus: other merges, the same size
    other = BPETokenizer().train(text, 4096, special_tokens=[EOT], verbose=False)
    assert other.vocab_size == 4096 and other.vocab != load_draft_model()[1].vocab
    other.save(copy / "tokenizer.txt")
    sums = "".join(
        f"{file_sha256(copy / f)}  {f}\n" for f in ("model.safetensors", "tokenizer.txt")
    )
    (copy / "SHA256SUMS").write_text(sums)
    with pytest.raises(PretrainedFileError, match="is not the target's .*course_model"):
        load_draft_model(copy)
    load_draft_model(copy, target_directory=None)  # the check alone refused it
