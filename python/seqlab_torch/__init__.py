"""SeqLab's PyTorch engine.

Trains a SeqLab run folder (config.json, a tokenized shard, metrics.jsonl, checkpoints) under
`torchrun`, with the same model, parametrisation, optimizers and checkpoint format as SeqLab's
built-in engine, so that either engine can continue the other's run.

    from seqlab_torch import load_model
    model, manifest = load_model('.seqlab/runs/<id>/checkpoints/step-00001000')
"""
from .checkpoint import load_checkpoint, load_model, save_checkpoint
from .model import SeqLabLM

__all__ = ['SeqLabLM', 'load_checkpoint', 'load_model', 'save_checkpoint']
