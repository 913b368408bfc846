"""Bring your own model end to end: torch model → `workloads import` layers + `quant compress
--checkpoint` trace → the simulator matches every weight layer to its trace entry by name."""

from __future__ import annotations

import sys
import textwrap

import yaml
from conftest import run_main

import accelsim
from quant.cli import main as quant_main
from workloads.__main__ import main as workloads_main


def test_imported_layers_line_up_with_checkpoint_traces(tmp_path):
    import torch
    (tmp_path / "net.py").write_text(textwrap.dedent("""
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 16, 3, padding=1)
                self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
                self.proj = nn.Linear(16 * 8 * 8, 40)
                self.head = nn.Linear(40, 10)

            def forward(self, x):
                x = self.dw(torch.relu(self.conv(x)))
                return self.head(self.proj(x.flatten(1)))

        def make():
            torch.manual_seed(0)
            return Net()
    """))
    sys.path.insert(0, str(tmp_path))
    try:
        import net
    finally:
        sys.path.pop(0)
    torch.save(net.make().state_dict(), tmp_path / "net.pt")
    # the two commands run in this process (torch is loaded already), as the user types them
    proc = run_main(workloads_main, ["import", f"{tmp_path / 'net.py'}:make",
                                     "--input-shape", "1,3,8,8", "-o", tmp_path / "layers.yaml"])
    assert proc.returncode == 0, proc.stderr
    proc = run_main(quant_main, ["compress", "--checkpoint", tmp_path / "net.pt", "--scheme", "ssvq",
                                 "--k", "8", "--d", "4", "--out", tmp_path / "tr"])
    assert proc.returncode == 0, proc.stderr
    layers = yaml.safe_load((tmp_path / "layers.yaml").read_text())["layers"]
    wl = {"name": "net", "arch": {"preset": "edge-32x32", "dram": {"preset": "ideal"}},
          "layers": layers, "traces": str(tmp_path / "tr"), "traces_missing": "int8",
          "compression": {"scheme": "ssvq", "k": 8, "d": 4}}
    df = accelsim.simulate(wl).layers
    weight_rows = df[df.weights]
    scheme = dict(zip(weight_rows.layer, weight_rows.scheme, strict=True))
    # every layer the quantizer compressed found its trace entry by name; the classifier head,
    # which the paper's convention keeps at 8 bits, is fetched as INT8
    assert scheme == {"conv": "ssvq", "dw": "ssvq", "proj": "ssvq", "head": "int8"}
    ssvq = weight_rows[weight_rows.scheme == "ssvq"]
    assert (ssvq.dram_read_index_B > 0).all() and (ssvq.dram_read_sign_B > 0).all()
