"""minillm: build, train, align, speed up and serve a small LLM from scratch.

Subpackages are imported explicitly (``from minillm.tokenizer import BPETokenizer``) so that
light tools such as ``minillm.course`` never pay for importing torch.
"""

__version__ = "0.1.0"
