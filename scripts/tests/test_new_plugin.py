"""scripts/new-plugin: one project per language, generated into a temporary folder, built and tested with its own
tools (mvn -o against the layer in ~/.m2, pytest, node --test; all offline: no test reaches past loopback), then run with `scripts/local run`
to Complete (the run's tree shows the plugin Complete, exit 0), and checked with `scripts/conformance`.

Needs what scripts/local needs (Java 17, Maven, the layer installed in ~/.m2 by `mvn install`, moto_server,
Node 20+). NEW_PLUGIN_LANGS (default: java,python,node) picks languages."""
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGS = [l for l in os.environ.get("NEW_PLUGIN_LANGS", "java,python,node").split(",") if l]
STAGES = {"java": "parallel", "python": "post", "node": "pre"}  # one of each stage across the three


def run(cmd, cwd, timeout=900, env=None):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        pytest.fail("%s in %s exited %d:\n%s\n%s" % (" ".join(map(str, cmd)), cwd, proc.returncode,
                                                     proc.stdout[-4000:], proc.stderr[-4000:]))
    return proc.stdout + proc.stderr


def test_refuses_bad_arguments_naming_them(tmp_path):
    cmd = [str(ROOT / "scripts/new-plugin"), "--lang", "python", "--activity", "Set-up", "--stage", "pre", "p", str(tmp_path / "x")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 64 and "--activity 'Set-up' is not an activity name" in proc.stderr
    proc = subprocess.run(cmd[:4] + ["Setup", "--stage", "pre", "p", str(ROOT / "inside")], capture_output=True, text=True)
    assert proc.returncode == 64 and "inside the orchestrator repository" in proc.stderr
    assert not (tmp_path / "x").exists() and not (ROOT / "inside").exists()


def make_venv(project):
    """The project's README has its user make .venv (pip install -r requirements-dev.txt); scripts/local runs the
    handler with it. Offline here: a .venv without pip whose site-packages points at this interpreter's."""
    run([sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], project)
    venv_site = run([str(project / ".venv/bin/python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], project)
    (Path(venv_site.strip()) / "requirements.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")


@pytest.mark.parametrize("lang", LANGS)
def test_generated_project_builds_tests_and_runs_to_complete(lang, tmp_path):
    name, activity, stage = "gen-%s" % lang, "Review", STAGES[lang]
    project = tmp_path / name
    out = run([str(ROOT / "scripts/new-plugin"), "--lang", lang, "--activity", activity, "--stage", stage, name, str(project)], ROOT)
    assert "wrote %s plugin '%s'" % (lang, name) in out
    for f in ("template.yaml", "README.md", "events/start.json", "events/stage-message.json"):
        assert (project / f).is_file(), f
    template = (project / "template.yaml").read_text()
    assert "orchestrator-plugin: %s" % name in template and "${OrchestratorStackName}-plugin-policy" in template
    if shutil.which("cfn-lint"):
        run(["cfn-lint", str(project / "template.yaml")], project)

    # Its own build and unit test, with its own tools.
    if lang == "java":
        out = run(["mvn", "-B", "-o", "test"], project)
        assert "Tests run: 1, Failures: 0, Errors: 0" in out
    elif lang == "python":
        # No network in a test: the interpreter running it already holds what requirements-dev.txt names (the kit,
        # pytest, moto[server]; .ci/run installs them), so the project's tests run with it, from the project's folder.
        reqs = (project / "requirements-dev.txt").read_text() + (project / "requirements.txt").read_text()
        assert "pytest" in reqs and "moto[server]" in reqs and "orchestrator-plugin @ file://" in reqs
        out = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], project)
        assert "2 passed" in out
        make_venv(project)
    else:
        # --offline: the kit comes by path and its one dependency from npm's cache (kits/node's npm ci filled it).
        run(["npm", "install", "--offline", "--no-audit", "--no-fund"], project)
        out = run(["npm", "test"], project)
        assert "# pass 2" in out and "# fail 0" in out

    # scripts/local run: the orchestrator with this activity, the plugin deployed from its template, one run.
    env = dict(os.environ, AWS_DEFAULT_REGION=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    out = run([str(ROOT / "scripts/local"), "run", "--activities", activity, "--plugin", str(project / "template.yaml"),
               "--start", str(project / "events/start.json")], ROOT, timeout=900, env=env)
    assert "%s  Complete" % name in out, out[-3000:]

    # scripts/conformance: every rule of docs/protocol.md passes or is skipped.
    out = run([str(ROOT / "scripts/conformance"), str(project / "template.yaml")], ROOT, timeout=900, env=env)
    assert "0 failed" in out and "CONFORMS" in out, out[-3000:]


@pytest.mark.skipif("python" not in LANGS, reason="NEW_PLUGIN_LANGS leaves out python")
def test_generated_plugin_with_one_write_broken_fails_the_local_run_naming_plugin_and_rule(tmp_path):
    name, activity = "gen-broken", "Review"
    project = tmp_path / name
    run([str(ROOT / "scripts/new-plugin"), "--lang", "python", "--activity", activity, "--stage", "post", name, str(project)], ROOT)
    make_venv(project)
    # One write broken, as a slip in a plugin's own protocol code would: its report leaves out endedAt.
    with open(project / "app.py", "a") as app:
        app.write('''
from orchestrator_plugin import execution as _execution

_update = _execution.Execution._update
_execution.Execution._update = lambda self, sets, *a, **k: _update(self, [x for x in sets if x != "#endedAt = :now"], *a, **k)
''')
    env = dict(os.environ, AWS_DEFAULT_REGION=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    proc = subprocess.run([str(ROOT / "scripts/local"), "run", "--activities", activity, "--plugin", str(project / "template.yaml"),
                           "--start", str(project / "events/start.json")], cwd=ROOT, capture_output=True, text=True, timeout=900, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    assert "(plugin %s, %s/post) broke a rule in a UpdateItem of run" % (name, activity) in out, out[-3000:]
    assert "report-fields: the report (SET state = Complete) lacks SET endedAt = :now" in out, out[-3000:]
