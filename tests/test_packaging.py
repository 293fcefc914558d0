"""Packaged like a library (issue 15): the wheel holds every module of the source tree,
its metadata declares ranges (the exact versions live in constraints.txt), one version.

The wheel is built from a copy of the source tree (setuptools writes build/ and
*.egg-info next to setup.cfg) without build isolation: setuptools and wheel are those of
the test environment (the ``test`` extra), so no index is asked. ``make wheel-check``
(run by .ci/run) goes further: it installs the wheel into a clean venv and runs
``relucert demo`` from it.
"""
import configparser
import email
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

packaging = pytest.importorskip("packaging.requirements")
from packaging.requirements import Requirement  # noqa: E402
from packaging.version import Version  # noqa: E402

import relucert  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
#: Source folder -> its import path inside the wheel (setup.cfg's package_dir).
ROOTS = {"relucert": "relucert", "arrangement": "relucert/arrangement", "lp": "relucert/lp",
         "verify": "relucert/verify", "gpu": "relucert/gpu"}


def _source_files() -> set[str]:
    """Every file a run of the installed package may need, by its path in the wheel."""
    out = set()
    for folder, target in ROOTS.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                out.add(f"{target}/{path.relative_to(ROOT / folder).as_posix()}")
    return out


def _build_wheel(tmp_path, edit_cfg=None) -> pathlib.Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for folder in ROOTS:
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if edit_cfg is not None:
        cfg = src / "setup.cfg"
        cfg.write_text(edit_cfg(cfg.read_text()))
    out = tmp_path / "dist"
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
                           str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel,) = out.glob("relucert-*.whl")
    return wheel


def _package_files(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return {n for n in zf.namelist() if not n.startswith("relucert-") and not n.endswith("/")}


def _missing(wheel) -> set[str]:
    return _source_files() - _package_files(wheel)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    return _build_wheel(tmp_path_factory.mktemp("wheel"))


def test_wheel_holds_every_file_of_the_package(wheel):
    files = _package_files(wheel)
    assert not _missing(wheel), f"missing from the wheel: {sorted(_missing(wheel))[:20]}"
    assert not files - _source_files(), f"in the wheel but not in the source tree: {sorted(files - _source_files())}"
    assert "relucert/verify/checker/__init__.py" in files and "relucert/lp/tv/bab/__init__.py" in files


def test_a_package_left_out_of_setup_cfg_is_caught(tmp_path):
    """The check above can fail: drop one subpackage from setup.cfg's list."""
    def drop(text):
        assert "    relucert.lp.tv\n" in text
        return text.replace("    relucert.lp.tv\n", "", 1)

    missing = _missing(_build_wheel(tmp_path, drop))
    expected = {f"relucert/lp/tv/{p.name}" for p in (ROOT / "lp" / "tv").glob("*.py")}
    assert missing == expected


def test_wheel_metadata(wheel):
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_bytes(zf.read(meta_name))
        entry = zf.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    assert meta["Version"] == relucert.__version__
    assert wheel.name.startswith(f"relucert-{relucert.__version__}-")
    requires = [Requirement(r) for r in meta.get_all("Requires-Dist")]
    for req in requires:  # a library declares ranges: no exact pin
        assert not any(s.operator in ("==", "===") for s in req.specifier), str(req)
        if req.name != "relucert":
            assert req.specifier, f"{req.name} has no version range"
    assert set(meta.get_all("Provides-Extra")) >= {"gpu", "sklearn", "bench", "all", "test"}
    assert re.search(r"^relucert = relucert\.cli:main$", entry, flags=re.M)


def _cfg():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    return cfg


def _requirements(value: str) -> list[Requirement]:
    return [Requirement(line) for line in value.strip().splitlines() if line.strip()]


def _constraints() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            pins[Requirement(name).name.lower().replace("_", "-")] = Version(version)
    return pins


def test_all_extra_holds_every_user_facing_extra():
    extras = _cfg()["options.extras_require"]
    (req,) = _requirements(extras["all"])
    assert req.name == "relucert"
    assert set(req.extras) == set(extras) - {"all", "test"}


def test_constraints_pin_every_requirement_within_its_range():
    cfg = _cfg()
    pins = _constraints()
    reqs = _requirements(cfg["options"]["install_requires"])
    for name, value in cfg["options.extras_require"].items():
        reqs += [r for r in _requirements(value) if r.name != "relucert"]
    for req in reqs:
        key = req.name.lower().replace("_", "-")
        assert key in pins, f"constraints.txt has no pin for {req.name}"
        assert req.specifier.contains(pins[key], prereleases=True), f"{req.name}=={pins[key]} outside {req.specifier}"
    # the CPU build of torch 2.13.0, never a bare version a CUDA build could satisfy
    assert str(pins["torch"]) == "2.13.0+cpu"


def test_make_and_ci_install_with_the_constraints():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^CONSTRAINTS := constraints\.txt$", makefile, flags=re.M)
    assert re.search(r"pip install .*-c \$\(CONSTRAINTS\)", makefile)
    install_lines = [ln for ln in makefile.splitlines() if "pip install" in ln or "$(PIP)" in ln]
    assert install_lines and all("-c $(CONSTRAINTS)" in ln or "$(PIP)" in ln for ln in install_lines)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make wheel-check" in ci
    assert "-c \"$root/constraints.txt\"" in (ROOT / ".ci" / "wheel_check.sh").read_text()


def test_version_is_one_source():
    assert _cfg()["metadata"]["version"].strip() == "attr: relucert.__version__"
    proc = subprocess.run([sys.executable, "-m", "relucert.cli", "--version"], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.strip() == f"relucert {relucert.__version__}"


def test_changelog_has_every_release_and_an_unreleased_entry():
    text = (ROOT / "CHANGELOG.md").read_text()
    heads = re.findall(r"^## \[([^\]]+)\](.*)$", text, flags=re.M)
    assert heads and heads[0][0] == "Unreleased"
    released = [Version(v) for v, _ in heads[1:]]
    assert released == sorted(released, reverse=True) and len(released) >= 4
    for v, rest in heads[1:]:
        assert re.match(r" - \d{4}-\d{2}-\d{2}$", rest), f"release {v} has no date"
    assert Version(relucert.__version__) > released[0]  # the unreleased work is past the last release
    assert "CHANGELOG.md" in (ROOT / "README.md").read_text()
