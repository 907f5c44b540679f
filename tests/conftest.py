"""Test-wide setup that must happen before any test module is imported.

Triton fixes its mode (compiled or interpreted) when it is first imported, and more than the
kernel tests import it: ``torch._dynamo`` does (``torch.compile`` tests, the course's torch
checks). Without a GPU the kernels can only run in the interpreter, so choose it here, before
collection imports anything; an explicit ``TRITON_INTERPRET`` in the environment wins.
"""

from __future__ import annotations

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")
