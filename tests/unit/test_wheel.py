"""The package works when installed from a wheel, away from the checkout.

Builds a wheel from the project's files, installs it (no dependencies) into a
fresh virtual environment whose only other path is this environment's
site-packages (for the dependencies, which pip would fetch for a user), and
from a folder outside the checkout runs `reviewer check`, renders the sign-in
page with its stylesheet, and writes a PDF report: the templates, static
files, shipped policies and report CSS all come from inside the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "reviewer", "templates", "policies")


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path, Path]:
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    source.mkdir()
    for name in PROJECT_FILES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "shipped"))
        else:
            shutil.copy2(origin, source / name)
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", base / "dist",
                 source, cwd=base)
    assert built.returncode == 0, built.stderr
    (wheel,) = (base / "dist").glob("reviewer-*.whl")

    venv = base / "venv"
    made = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=base)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    put = _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel, cwd=base)
    assert put.returncode == 0, put.stderr
    # The dependencies: this environment's site-packages, after the fresh one (its .pth files,
    # the editable install of the checkout among them, are not read from there).
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=base).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("REVIEWER_", "PYTHON"))}
    env["REVIEWER_ENCODER_DIR"] = str(ROOT / "instance" / "encoder")  # built by make test; a user runs `reviewer encoder build`
    env["REVIEWER_TOXICITY"] = "embedded"
    away = base / "elsewhere"
    away.mkdir()
    return venv, env, away, wheel


@pytest.mark.slow
def test_the_wheel_carries_templates_static_files_policies_and_the_report_css(installed) -> None:
    *_, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("reviewer/shipped/templates/base.html", "reviewer/shipped/templates/reports/compliance.css",
                     "reviewer/shipped/policies/government.yaml", "reviewer/shipped/policies/city-council.yaml"):
        assert expected in names
    assert any(name.startswith("reviewer/web/static/") for name in names)
    assert any(name.startswith("reviewer/migrations/versions/") for name in names)


@pytest.mark.slow
def test_reviewer_check_runs_from_any_folder_on_the_shipped_policy(installed) -> None:
    venv, env, away, _ = installed
    where = _run(venv / "bin" / "python", "-c", "import reviewer; print(reviewer.__file__)", cwd=away, env=env)
    assert where.stdout.strip().startswith(str(venv)), where.stdout + where.stderr

    calm = _run(venv / "bin" / "reviewer", "check", "Thanks, we will look into it", cwd=away, env=env)
    assert calm.returncode == 0, calm.stdout + calm.stderr
    assert "Policy: government" in calm.stdout, calm.stdout
    rude = _run(venv / "bin" / "reviewer", "check", "Shut up, you stupid idiot.", cwd=away, env=env)
    assert rude.returncode in (1, 2), rude.stdout + rude.stderr

    custom = away / "policies"
    custom.mkdir()
    (custom / "government.yaml").write_text("id: mine\nversion: '1'\nrules: []\n", encoding="utf-8")
    overridden = _run(venv / "bin" / "reviewer", "check", "Shut up, you stupid idiot.", cwd=away,
                      env={**env, "REVIEWER_POLICY_DIR": str(custom)})
    assert overridden.returncode == 0 and "mine" in overridden.stdout, overridden.stdout + overridden.stderr


@pytest.mark.slow
def test_the_installed_app_renders_a_page_and_writes_a_pdf(installed) -> None:
    venv, env, away, _ = installed
    instance = away / "instance"
    env = {**env, "REVIEWER_INSTANCE_PATH": str(instance)}
    upgraded = _run(venv / "bin" / "reviewer", "db", "upgrade", cwd=away, env=env)
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    script = (
        "from reviewer import create_app\n"
        "app = create_app()\n"
        "client = app.test_client()\n"
        "page = client.get('/login')\n"
        "assert page.status_code == 200 and b'<form' in page.data, page.status_code\n"
        "import re\n"
        "css = re.search(rb'href=\"(/static/[^\"]+[.]css)', page.data).group(1).decode()\n"
        "assert client.get(css).status_code == 200, css\n"
        "print(app.template_folder)\n"
    )
    rendered = _run(venv / "bin" / "python", "-c", script, cwd=away, env=env)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert rendered.stdout.strip().startswith(str(venv)), rendered.stdout

    pdf = away / "report.pdf"
    report = _run(venv / "bin" / "reviewer", "report", "--from", "2026-11-01", "--to", "2026-11-30", "--out", pdf,
                  cwd=away, env=env)
    assert report.returncode == 0, report.stdout + report.stderr
    assert pdf.read_bytes().startswith(b"%PDF-")
