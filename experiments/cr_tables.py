"""Compression ratios of the paper's Table 10 (supplementary), ours vs the paper's, plus the zoo.

    python experiments/cr_tables.py [--out DIR] [--quick]

Ours are the paper convention of ``quant.accounting.model_bits`` (what ``python -m quant cr``
prints): ``CR = 32·ΣW / Σ_l (W_l·bits_per_weight + 16·k·d)`` over the compressed layers (DeiT:
qkv, proj, fc1, fc2 of every block), computed on the zoo's shapes. No weights are needed.

1. Table 10 rows for DeiT-Tiny and DeiT-Small (SSVQ d=8, VQ d=4, VQ d=8 at the table's k):
   ours, the paper's value and the difference. The table is parsed from the text of the
   supplementary (``TABLE10_TEXT``, quoted verbatim from its extracted text).
   **Column shift**: the extracted table prints DeiT-Small VQ d=8's 25.1 / 20.7 under k=1024 /
   2048, but the convention that reproduces every other DeiT entry to ±0.1 gives 20.69 / 16.26
   there and 25.13 / 20.69 at k=512 / 1024. We take it to be a column shift in the extracted
   table (as ``docs/quant.md`` does) and show both: the difference at the printed k, and at the
   k the value reproduces (``COLUMN_SHIFTS``).
2. The other Table 10 rows whose model is in the zoo (MobileNet-v2, ConvNeXt-Tiny) the same way;
   MobileNet-v3 and EfficientNet-lite0 are not in the zoo.
3. Every zoo model (MiniLM, BERT, ResNets, LLaMA-2-7B, ...) at the same settings: ours only.

Writes ``cr_table10.md``, ``cr_tables.json``, ``cr_zoo.md`` and ``cr_vs_k.png``/``.svg``
(compression ratio vs k, one panel per scheme, paper values as hollow markers) to
``experiments/out/cr_tables/``. ``--quick`` only skips the zoo-wide table's larger models.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from accelsim.plots.common import save_figure

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "experiments" / "out" / "cr_tables"

# Table 10 of the supplementary, verbatim from the extracted text (tabs kept; '-', '_' and an
# empty cell all mean "no entry"; the first header's "SSV'Q" is the extraction's).
TABLE10_TEXT = """\
\tSSV\t'Q, d=8\t\t\t\t\t
k\t8\t16\t32\t64\t128\t\t
MobileNet-v2\t22.9\t20.7\t18.6\t16.6\t_\t\t
MobileNet-v3\t23.2\t21.3\t19.6\t18.1\t16.7\t\t
EfficientNet-lite0\t23.0\t20.9\t19.0\t17.2\t-\t\t
ConvNext-Tiny\t23.2\t21.3\t19.6\t18.1\t16.8\t\t
DeiT-Tiny\t23.1\t21.1\t19.2\t17.5\t15.8\t\t
DeiT-Small\t23.2\t21.3\t19.6\t18.1\t-\t\t
VQ, d=4\t\t\t\t\t\t\t
k\t32\t64\t128\t256\t-\t\t
MobileNet-v2\t-\t20.1\t16.6\t_\t_\t\t
MobileNet-v3\t23.5\t18.7\t-\t-\t-\t\t
EfficientNet-lite0\t-\t20.6\t17.2\t-\t-\t\t
ConvNext-Tiny\t-\t21.2\t18.1\t-\t-\t\t
DeiT-Tiny\t-\t20.8\t17.5\t-\t-\t\t
DeiT-Small\t-\t21.2\t18.1\t-\t-\t\t
VQ, d=8\t\t\t\t\t\t\t
k\t128\t256\t512\t1024\t2048\t\t
MobileNet-v2\t-\t-\t20.9\t16.2\t-\t\t
MobileNet-v3\t19.8\t_\t_\t-\t-\t\t
EfficientNet-lite0\t_\t\t17.8\t-\t-\t\t
ConvNext-Tiny\t-\t-\t25.6\t21.6\t18.1\t\t
DeiT-Tiny\t-\t24.7\t18.6\t-\t-\t\t
DeiT-Small\t-\t-\t-\t25.1\t20.7\t\t
"""

MODEL_NAMES = {  # the paper's row label -> zoo name (None: not in the zoo)
    "MobileNet-v2": "mobilenet_v2", "MobileNet-v3": None, "EfficientNet-lite0": None,
    "ConvNext-Tiny": "convnext_tiny", "DeiT-Tiny": "deit_tiny", "DeiT-Small": "deit_small",
}
# (zoo model, scheme, d) -> {k as printed: k whose CR the printed value is}; see the docstring.
COLUMN_SHIFTS = {("deit_small", "vq", 8): {1024: 512, 2048: 1024}}
MAIN_MODELS = ("deit_tiny", "deit_small")
TOLERANCE = 0.1  # the table prints one decimal
SETTINGS = (("ssvq", 8), ("vq", 4), ("vq", 8))
QUICK_SKIP = ("llama2_7b", "bert_base", "deit_base")


def parse_table10(text: str = TABLE10_TEXT) -> dict[tuple[str, str, int], dict[int, float]]:
    """``{(paper model label, scheme, d): {k: CR}}`` from the extracted Table 10 text.

    A block starts with a ``SCHEME, d=D`` header, then a ``k`` row with one k per column, then
    one row per model; cells are positional (tab-separated), missing entries are skipped.
    """
    table: dict[tuple[str, str, int], dict[int, float]] = {}
    scheme = d = None
    ks: list[int | None] = []
    for line in text.splitlines():
        cells = line.split("\t")
        head = re.sub(r"[\s']", "", line)
        m = re.fullmatch(r"(SSVQ|VQ),d=(\d+)", head)
        if m:
            scheme, d, ks = m.group(1).lower(), int(m.group(2)), []
            continue
        if not cells[0].strip():
            continue
        if cells[0] == "k":
            ks = [int(c) if c.strip().isdigit() else None for c in cells[1:]]
            continue
        if scheme is None or not ks:
            raise ValueError(f"Table 10 row before its header: {line!r}")
        row = {}
        for k, cell in zip(ks, cells[1:], strict=False):
            if k is not None and re.fullmatch(r"\d+(\.\d+)?", cell.strip()):
                row[k] = float(cell)
        table[(cells[0].strip(), scheme, d)] = row
    return table


def our_cr(model: str, scheme: str, k: int, d: int) -> dict:
    """Compression ratio and bits per weight of one setting (paper convention)."""
    from quant.accounting import model_bits
    from quant.sources import zoo_layers

    rep = model_bits(_layers(model, zoo_layers), scheme, k, d)
    return {"compression_ratio": rep["compression_ratio"], "bits_per_weight": rep["bits_per_weight"],
            "packed_compression_ratio": rep["packed_compression_ratio"],
            "layers_counted": rep["layers_counted"], "weights": rep["weights"]}


_LAYER_CACHE: dict[str, list] = {}


def _layers(model: str, zoo_layers) -> list:
    if model not in _LAYER_CACHE:
        _LAYER_CACHE[model] = zoo_layers(model)
    return _LAYER_CACHE[model]


def compare_rows(paper: dict, cr=our_cr, shifts=COLUMN_SHIFTS, models=None) -> list[dict]:
    """One row per paper entry whose model is in the zoo: ours, paper, difference, shift note.

    ``cr(model, scheme, k, d)`` returns a dict with ``compression_ratio`` (injectable for tests);
    ``models`` limits the zoo models compared.
    """
    rows = []
    for (label, scheme, d), entries in paper.items():
        model = MODEL_NAMES.get(label)
        if model is None or (models is not None and model not in models):
            continue
        for k, value in sorted(entries.items()):
            ours = cr(model, scheme, k, d)["compression_ratio"]
            row = {"model": model, "paper_label": label, "scheme": scheme, "d": d, "k": k,
                   "paper": value, "ours": ours, "diff": ours - value,
                   "match": abs(ours - value) <= TOLERANCE}
            k_fit = shifts.get((model, scheme, d), {}).get(k)
            if k_fit is not None:
                ours_fit = cr(model, scheme, k_fit, d)["compression_ratio"]
                row.update({"k_fit": k_fit, "ours_at_k_fit": ours_fit,
                            "diff_at_k_fit": ours_fit - value,
                            "match_at_k_fit": abs(ours_fit - value) <= TOLERANCE})
            rows.append(row)
    return rows


def zoo_rows(models, settings_ks: dict, cr=our_cr) -> list[dict]:
    """``{model, scheme, d, k, compression_ratio, bits_per_weight}`` for every model × setting."""
    return [{"model": m, "scheme": s, "d": d, "k": k, **cr(m, s, k, d)}
            for m in models for (s, d), ks in settings_ks.items() for k in ks]


def table_ks(paper: dict) -> dict[tuple[str, int], list[int]]:
    """The k columns of each (scheme, d) block of the table (union over its rows)."""
    out: dict[tuple[str, int], set[int]] = {}
    for (_, scheme, d), entries in paper.items():
        out.setdefault((scheme, d), set()).update(entries)
    return {key: sorted(ks) for key, ks in out.items()}


def scheme_label(scheme: str, d: int) -> str:
    return f"{scheme.upper()} d={d}"


def comparison_md(rows: list[dict]) -> str:
    lines = ["| model | scheme | k (as printed) | paper C.R. | ours | ours − paper | note |",
             "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        note = "" if r["match"] else f"**differs** (> ±{TOLERANCE})"
        if "k_fit" in r:
            note = (f"column shift: ours at k={r['k_fit']} is {r['ours_at_k_fit']:.2f} "
                    f"({r['diff_at_k_fit']:+.2f})")
        lines.append(f"| {r['model']} | {scheme_label(r['scheme'], r['d'])} | {r['k']} | "
                     f"{r['paper']:.1f} | {r['ours']:.2f} | {r['diff']:+.2f} | {note} |")
    return "\n".join(lines)


def zoo_md(rows: list[dict]) -> str:
    cols = sorted({(r["scheme"], r["d"], r["k"]) for r in rows},
                  key=lambda c: (SETTINGS.index((c[0], c[1])), c[2]))
    models = list(dict.fromkeys(r["model"] for r in rows))
    val = {(r["model"], r["scheme"], r["d"], r["k"]): r["compression_ratio"] for r in rows}
    head = [f"{s.upper()} d={d} k={k}" for s, d, k in cols]
    lines = ["| model | " + " | ".join(head) + " |", "|---" + "|---:" * len(cols) + "|"]
    for m in models:
        cells = [f"{val[(m, *c)]:.1f}" for c in cols]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary(rows: list[dict]) -> dict:
    """How many entries match at the printed k, and how many more after the column shift."""
    n = len(rows)
    at_printed = sum(r["match"] for r in rows)
    after_shift = sum(r["match"] or r.get("match_at_k_fit", False) for r in rows)
    return {"entries": n, "match_at_printed_k": at_printed, "match_after_shift": after_shift,
            "max_abs_diff_after_shift": max(
                (abs(r["diff_at_k_fit"]) if "k_fit" in r else abs(r["diff"])) for r in rows)}


def plot(zoo: list[dict], paper: dict, base: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(r["model"] for r in zoo))
    colours = {m: plt.cm.tab10(i % 10) for i, m in enumerate(models)}
    fig, axes = plt.subplots(1, len(SETTINGS), figsize=(15, 4.8), sharey=True)
    for ax, (scheme, d) in zip(axes, SETTINGS, strict=True):
        for m in models:
            pts = sorted((r["k"], r["compression_ratio"]) for r in zoo
                         if r["model"] == m and (r["scheme"], r["d"]) == (scheme, d))
            if pts:
                ax.plot(*zip(*pts, strict=True), marker=".", color=colours[m], lw=1.4, label=m)
        for (label, s, dd), entries in paper.items():
            m = MODEL_NAMES.get(label)
            if (s, dd) != (scheme, d) or m not in colours or not entries:
                continue
            ks, vals = zip(*sorted(entries.items()), strict=True)
            ax.plot(ks, vals, ls="none", marker="o", ms=9, mfc="none", mec=colours[m], mew=1.6)
            shifted = sorted(COLUMN_SHIFTS.get((m, s, dd), {}))
            if shifted:
                for k in shifted:
                    ax.annotate(f"{m} as printed:\nvalues fit k/2\n(column shift)",
                                (k, entries[k]), xytext=(800, 32), fontsize=8, color=colours[m],
                                arrowprops={"arrowstyle": "->", "color": colours[m]})
        ax.axhline(16, color="grey", lw=0.8, ls="--")
        ax.set_xscale("log", base=2)
        ks_all = sorted({r["k"] for r in zoo if (r["scheme"], r["d"]) == (scheme, d)})
        ax.set_xticks(ks_all, [str(k) for k in ks_all])
        ax.set_xlabel("codebook entries k (log₂ scale)")
        ax.set_title(f"{scheme_label(scheme, d)}: {'1 + ' if scheme == 'ssvq' else ''}log₂k/{d} "
                     "bits/weight + codebook")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("compression ratio vs fp32 (×)")
    axes[-1].plot([], [], ls="none", marker="o", mfc="none", mec="k", label="paper (Table 10)")
    axes[-1].plot([], [], color="grey", ls="--", lw=0.8, label="16× (paper omits ≤ 16×)")
    axes[-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle("Compression ratio vs k: lines = ours (zoo shapes), hollow markers = paper")
    return save_figure(fig, base)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--quick", action="store_true", help="skip the largest zoo models")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from workloads import zoo

    paper = parse_table10()
    main_rows = compare_rows(paper, models=MAIN_MODELS)
    other_rows = compare_rows(paper, models=set(MODEL_NAMES.values()) - set(MAIN_MODELS) - {None})
    models = [m for m in zoo.MODELS if not (args.quick and m in QUICK_SKIP)]
    ks = table_ks(paper)
    zoo_table = zoo_rows(models, ks)
    stats = summary(main_rows)

    md = [
        "# Compression ratio: the paper's Table 10 vs ours",
        "",
        "Ours: `quant.accounting.model_bits` (= `python -m quant cr`), paper convention "
        "(32·ΣW / Σ(W·bits + 16·k·d) over qkv/proj/fc1/fc2), zoo shapes.",
        "",
        f"DeiT-Tiny / DeiT-Small: {stats['match_at_printed_k']} of {stats['entries']} entries "
        f"match to ±{TOLERANCE} at the printed k; {stats['match_after_shift']} of "
        f"{stats['entries']} after the DeiT-Small VQ d=8 column shift (largest |diff| "
        f"{stats['max_abs_diff_after_shift']:.2f}).",
        "",
        comparison_md(main_rows),
        "",
        "**Column shift.** The extracted table prints DeiT-Small VQ d=8's 25.1 / 20.7 under "
        "k=1024 / 2048. The convention that reproduces the other DeiT entries gives those "
        "values at k=512 / 1024, so we read them as shifted one column right. The rows above "
        "keep the printed k and give the difference there, so nothing is hidden.",
        "",
        "## Other Table 10 rows with a zoo model",
        "",
        comparison_md(other_rows),
        "",
        "MobileNet-v3 and EfficientNet-lite0 are not in the zoo. Differences above ±0.1 mean the "
        "paper counted other layers or codebooks for that model; the DeiT convention is kept.",
        "",
    ]
    (args.out / "cr_table10.md").write_text("\n".join(md))
    (args.out / "cr_zoo.md").write_text(
        "# Compression ratio of every zoo model at the Table 10 settings (ours, vs fp32)\n\n"
        + zoo_md(zoo_table) + "\n")
    (args.out / "cr_tables.json").write_text(json.dumps({
        "paper_table10": [{"model": lab, "scheme": s, "d": d, "k": k, "cr": v}
                          for (lab, s, d), row in paper.items() for k, v in row.items()],
        "column_shifts": [{"model": m, "scheme": s, "d": d, "printed_k": k, "fits_k": kf}
                          for (m, s, d), sh in COLUMN_SHIFTS.items() for k, kf in sh.items()],
        "deit": main_rows, "deit_summary": stats, "other_paper_rows": other_rows,
        "zoo": zoo_table}, indent=1) + "\n")
    figs = plot(zoo_table, paper, args.out / "cr_vs_k")
    print(comparison_md(main_rows))
    print(f"\n{stats}")
    names = ["cr_table10.md", "cr_zoo.md", "cr_tables.json", *(p.name for p in figs)]
    print(f"wrote {args.out}/: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
