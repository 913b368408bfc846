"""Golden-output regression data: cases (cases.py), pinned results (<case>.json), update.py."""
