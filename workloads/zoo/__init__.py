"""Model zoo: published architectures as lists of canonical layers (shapes only)."""
