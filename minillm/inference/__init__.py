"""Fast generation (lesson 15): a preallocated KV cache, prefill and decode, batched sampling,
and speculative decoding (a draft model or prompt lookup).

    from minillm.inference import generate, SamplingParams, StaticKVCache
    out = generate(model, input_ids, 64, sampling=SamplingParams(greedy=True))
"""

from minillm.inference.cache import StaticKVCache
from minillm.inference.generate import (
    GenerationOutput,
    decode_step,
    generate,
    left_pad,
    prefill,
)
from minillm.inference.ngram import PromptLookup, ngram_propose
from minillm.inference.sampling import (
    SamplingParams,
    apply_repetition_penalty,
    min_p_filter,
    probabilities,
    process_logits,
    sample_next,
)
from minillm.inference.speculative import (
    SpeculativeOutput,
    accept_or_resample,
    speculative_generate,
)

__all__ = [
    "GenerationOutput",
    "PromptLookup",
    "SpeculativeOutput",
    "accept_or_resample",
    "ngram_propose",
    "speculative_generate",
    "SamplingParams",
    "StaticKVCache",
    "apply_repetition_penalty",
    "decode_step",
    "generate",
    "left_pad",
    "min_p_filter",
    "prefill",
    "probabilities",
    "process_logits",
    "sample_next",
]
