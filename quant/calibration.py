"""Calibration text for MiniLM and its diagonal Fisher (Gauss–Newton) estimate.

MiniLM has no task loss offline, so the Fisher is taken for the embedding-preservation objective:
with random Gaussian probes ``u``, ``E[(∂(u·e)/∂w)²] = diag(Jᵀ J)`` — the Gauss–Newton diagonal of
``‖e(Ŵ) − e(W)‖²`` at ``Ŵ = W`` — averaged over sentences and probes.
"""

from __future__ import annotations

import torch

from quant.hessian import diagonal_fisher

CALIBRATION_SENTENCES = (
    "The committee postponed its decision until the next quarterly meeting.",
    "Heavy rain flooded several streets in the old town overnight.",
    "She adjusted the telescope to get a clearer view of Saturn's rings.",
    "The recipe calls for two cups of flour and a pinch of salt.",
    "Our flight was delayed because of a mechanical inspection.",
    "The startup raised funding to expand its battery research lab.",
    "He practised the violin concerto every evening for a month.",
    "Volunteers planted three hundred trees along the riverbank.",
    "The museum's new exhibit explores the history of printing.",
    "A sudden power outage stopped the trains for twenty minutes.",
    "The students compared two algorithms for sorting large files.",
    "Doctors recommend regular exercise and a balanced diet.",
    "The bakery on the corner sells fresh bread every morning.",
    "Engineers tested the bridge under extreme wind conditions.",
    "The novel follows a detective through the streets of Lisbon.",
    "Prices for electronics dropped after the holiday season.",
    "The team celebrated after winning the regional championship.",
    "Farmers are worried about the long dry summer this year.",
    "The software update fixed a bug in the login screen.",
    "A family of ducks crossed the road near the school.",
    "The orchestra will perform a new symphony on Friday night.",
    "Scientists measured the temperature of the deep ocean currents.",
    "The hotel offers free breakfast and an airport shuttle.",
    "Local elections will be held in the spring.",
)


def minilm_fisher(model, tokenizer, sentences=CALIBRATION_SENTENCES, probes: int = 4,
                  batch_size: int = 8, seed: int = 0) -> dict[str, torch.Tensor]:
    """Diagonal Gauss–Newton estimate for every Linear of the MiniLM encoder, by module name."""
    from quant.models.minilm import tokenize

    gen = torch.Generator().manual_seed(seed)
    batches = []
    for s in range(0, len(sentences), batch_size):
        ids, mask = tokenize(tokenizer, list(sentences[s:s + batch_size]))
        for _ in range(probes):
            batches.append((ids, mask, torch.randn(ids.shape[0], model.config.hidden_size,
                                                   generator=gen)))

    def loss(m, batch):
        ids, mask, u = batch
        hidden = m(ids, mask)
        w = mask[..., None].float()
        emb = (hidden * w).sum(1) / w.sum(1)
        emb = torch.nn.functional.normalize(emb, dim=1)
        return (emb * u).sum()

    return diagonal_fisher(model, loss, batches,
                           select=lambda name, _m: name.startswith("encoder."))
