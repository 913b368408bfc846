"""Codebook buffer + sign-mask decoder (filled in by the compressed-datapath work)."""


def attach(arch, plans, formats):
    """Decoder work per plan; None when no layer is compressed."""
    return None
