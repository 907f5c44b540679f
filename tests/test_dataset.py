"""Token files (dtype, sidecar checks) and batching (determinism, resumable position)."""

import json

import numpy as np
import pytest
import torch

from minillm.corpus import EOT, generate_corpus, split_documents
from minillm.data.dataset import (
    RandomWindows,
    SequentialWindows,
    TokenFile,
    TokenFileError,
    sidecar_path,
    token_dtype,
    tokenizer_fingerprint,
    write_token_file,
)
from minillm.tokenizer import BPETokenizer


@pytest.fixture(scope="module")
def corpus():
    return generate_corpus(40_000, seed=3)


@pytest.fixture(scope="module")
def tok(corpus):
    return BPETokenizer().train(corpus, 300, special_tokens=[EOT], verbose=False)


@pytest.fixture
def token_file(tmp_path, corpus, tok):
    return write_token_file(tmp_path / "c.bin", split_documents(corpus), tok, progress=False)


def test_token_dtype_by_vocab_size():
    assert token_dtype(256) == np.uint16
    assert token_dtype(65536) == np.uint16  # ids 0..65535
    assert token_dtype(65537) == np.uint32
    with pytest.raises(ValueError, match="vocab_size=0"):
        token_dtype(0)


def test_file_holds_the_encoded_documents(token_file, corpus, tok):
    docs = split_documents(corpus)
    eot = tok.special_tokens[EOT]
    expected = []
    for d in docs:
        expected += tok.encode(d) + [eot]
    assert token_file.tokens.dtype == np.uint16
    assert token_file.tokens.tolist() == expected
    info = json.loads(sidecar_path(token_file.path).read_text())
    assert info["num_tokens"] == len(expected) and info["num_documents"] == len(docs)
    assert info["dtype"] == "uint16" and info["vocab_size"] == tok.vocab_size
    assert info["tokenizer_sha256"] == tokenizer_fingerprint(tok)
    assert token_file.path.stat().st_size == 2 * len(expected)


def test_same_input_same_bytes_whatever_the_chunking(tmp_path, corpus, tok):
    docs = split_documents(corpus)
    a = write_token_file(tmp_path / "a.bin", docs, tok, progress=False, docs_per_chunk=7)
    b = write_token_file(tmp_path / "b.bin", docs, tok, progress=False, docs_per_chunk=1000)
    assert a.path.read_bytes() == b.path.read_bytes()


def test_other_tokenizer_is_rejected(token_file, corpus):
    other = BPETokenizer().train(corpus, 300, special_tokens=[EOT], pattern="gpt4", verbose=False)
    with pytest.raises(TokenFileError, match="tokenizer_sha256"):
        TokenFile.open(token_file.path, other)
    bigger = BPETokenizer().train(corpus, 310, special_tokens=[EOT], verbose=False)
    with pytest.raises(TokenFileError, match="vocab_size=300 in the sidecar"):
        TokenFile.open(token_file.path, bigger)


def test_dtype_mismatch_and_truncation_are_errors(token_file, tok):
    side = sidecar_path(token_file.path)
    info = json.loads(side.read_text())
    side.write_text(json.dumps({**info, "dtype": "uint32"}))
    with pytest.raises(TokenFileError, match="dtype='uint32' does not fit vocab_size=300"):
        TokenFile.open(token_file.path, tok)
    side.write_text(json.dumps({**info, "num_tokens": info["num_tokens"] + 1}))
    with pytest.raises(TokenFileError, match="truncated"):
        TokenFile.open(token_file.path, tok)
    side.write_text(json.dumps(info))
    raw = np.fromfile(token_file.path, dtype=np.uint16)
    raw[5] = 4000
    raw.tofile(token_file.path)
    with pytest.raises(TokenFileError, match="token 5 has id 4000 >= vocab_size=300"):
        TokenFile.open(token_file.path, tok)


def test_missing_sidecar(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"\0\0")
    with pytest.raises(FileNotFoundError, match="x.bin.json"):
        TokenFile.open(tmp_path / "x.bin")


def test_split_is_contiguous(token_file):
    train, val = token_file.split(0.1)
    assert len(train) + len(val) == len(token_file)
    assert np.array_equal(np.concatenate([train, val]), token_file.tokens)
    with pytest.raises(ValueError, match="val_fraction=1.0"):
        token_file.split(1.0)


def test_random_windows_deterministic_and_resumable():
    tokens = np.arange(1000, dtype=np.uint16)
    a = RandomWindows(tokens, 4, 16, seed=7)
    batches = [a.next_batch() for _ in range(5)]
    x, y = batches[0]
    assert x.shape == y.shape == (4, 16) and x.dtype == torch.int64
    assert torch.equal(y, x + 1)  # targets are the next tokens
    b = RandomWindows(tokens, 4, 16, seed=7)
    b.load_state_dict(a.state_dict())  # resume at batch 5
    a_next, b_next = a.next_batch(), b.next_batch()
    assert torch.equal(a_next[0], b_next[0])
    c = RandomWindows(tokens, 4, 16, seed=7)
    assert all(torch.equal(c.next_batch()[0], bx) for bx, _ in batches)
    assert not torch.equal(RandomWindows(tokens, 4, 16, seed=8).next_batch()[0], batches[0][0])
    with pytest.raises(ValueError, match=r"RandomWindows\(seed=8\)"):
        RandomWindows(tokens, 4, 16, seed=8).load_state_dict(a.state_dict())


def test_sequential_windows_cover_every_token_once():
    tokens = np.arange(101, dtype=np.uint16)
    s = SequentialWindows(tokens, batch_size=3, seq_len=10)
    xs = torch.cat([x for x, _ in s.epoch()])
    assert xs.flatten().tolist() == list(range(100))
    assert torch.equal(s.next_batch()[0], xs[:3])


def test_window_errors():
    with pytest.raises(ValueError, match="too few"):
        RandomWindows(np.arange(10, dtype=np.uint16), 2, 10)
    with pytest.raises(ValueError, match="batch_size=0"):
        SequentialWindows(np.arange(100, dtype=np.uint16), 0, 10)
