import json

import numpy as np

from relucert.cli import main
from relucert.data import save_data


def test_regions_cli(tmp_path, capsys):
    p = tmp_path / "d.npz"
    save_data(p, np.array([[0.0], [1.0], [2.0]]), np.zeros(3))
    out = tmp_path / "r.json"
    assert main(["regions", str(p), "--json", str(out), "--plot", str(tmp_path / "r.png")]) == 0
    doc = json.loads(out.read_text())
    assert doc["n"] == 3 and doc["d"] == 1 and doc["n_chambers"] == 6
    assert doc["general_position"] is True
    assert len(doc["chambers"]) == 6 and set(doc["chambers"][0]["signs"]) <= {"+", "-"}
    assert (tmp_path / "r.png").stat().st_size > 0
    assert "chambers: 6" in capsys.readouterr().out


def test_cli_bad_input_is_a_clear_error(tmp_path, capsys):
    p = tmp_path / "d.csv"
    p.write_text("1,2\n1,a\n")
    assert main(["regions", str(p)]) == 2
    err = capsys.readouterr().err
    assert "non-numeric" in err and "Traceback" not in err
    assert main(["nope"]) == 2


def test_demo_writes_figure(tmp_path, capsys):
    assert main(["demo", "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "regions.png").stat().st_size > 0
