"""``python -m workloads import MODEL [...] -o layers.yaml`` — import a model as canonical layers.

MODEL is a ``.onnx`` file, a ``.pt``/``.pth`` saved torch module, or ``module.py:factory``.
The output is a workload fragment ``{layers: [...]}`` (keys of ``Layer.to_dict()`` minus
``meta``), written atomically; without ``-o`` it goes to stdout. Bad input exits with code 2
and one message; unsupported operators are reported on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

LAYER_KEYS = ("name", "op", "M", "K", "N", "groups", "weights", "in_elems", "stride", "kernel",
              "weight_name", "inputs", "output")


EXAMPLES = """examples:
  python -m workloads import model.onnx -o layers.yaml
  python -m workloads import resnet.pt --input-shape 1,3,224,224 -o layers.yaml
  python -m workloads import my_lm.py:build --input-shape 1,64 --input-dtype int64 --decode-context 2048
"""


def _parser() -> argparse.ArgumentParser:
    from workloads.cli_help import HelpFormatter

    parser = argparse.ArgumentParser(
        prog="python -m workloads", formatter_class=HelpFormatter, epilog=EXAMPLES,
        description="Import a torch or ONNX model as a list of canonical layers (a workload's "
                    "layers: block).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    imp = sub.add_parser("import", help="import a torch or ONNX model as a layers: list",
                         formatter_class=HelpFormatter, epilog=EXAMPLES,
                         description="Import MODEL (a .onnx file, a saved .pt/.pth torch module, "
                                     "or module.py:factory) as a workload fragment {layers: "
                                     "[...]}; unsupported operators are reported on stderr.")
    imp.add_argument("model", metavar="MODEL", help="model.onnx | model.pt | path/to/module.py:factory")
    imp.add_argument("--input-shape", metavar="DIMS", help="example input shape, e.g. 1,3,224,224")
    imp.add_argument("--input-dtype", default="float32",
                     help="dtype of the example input (int64 for token ids); default float32")
    imp.add_argument("--batch", type=int, help="batch size (overrides dim 0 of the input)")
    imp.add_argument("--decode-context", type=int, metavar="L",
                     help="emit one LLM decode step at KV-cache length L instead of the prefill")
    imp.add_argument("-o", "--output", metavar="FILE", help="output YAML file (default: stdout)")
    return parser


def layers_fragment(layers, source: str) -> str:
    """YAML text ``{layers: [...]}`` for ``layers``, with a provenance comment."""
    import yaml

    rows = []
    for layer in layers:
        d = layer.to_dict()
        rows.append({key: d[key] for key in LAYER_KEYS})
    head = f"# imported from {source} by python -m workloads import ({len(rows)} layers)\n"
    return head + yaml.safe_dump({"layers": rows}, sort_keys=False, default_flow_style=None)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory + ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _import(args) -> int:
    from workloads.importers import ImportFailure, UnsupportedOperatorWarning, load_model_file

    for flag, value in (("--batch", args.batch), ("--decode-context", args.decode_context)):
        if value is not None and value < 1:
            print(f"error: {flag} must be a positive integer, got {value}", file=sys.stderr)
            return 2
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UnsupportedOperatorWarning)
            result = load_model_file(args.model, args.input_shape, args.decode_context,
                                     batch=args.batch, input_dtype=args.input_dtype)
    except ImportFailure as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for w in caught:
        if issubclass(w.category, UnsupportedOperatorWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    text = layers_fragment(result.layers, args.model)
    if args.output:
        try:
            write_atomic(Path(args.output), text)
        except OSError as exc:
            print(f"error: {args.output}: cannot write: {exc.strerror or exc}", file=sys.stderr)
            return 2
        macs = result.macs
        print(f"{args.output}: {len(result.layers)} layers, {macs / 1e6:.1f} MMACs "
              f"(via {result.source})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "import":
        return _import(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
