"""Run a command under torchrun with two ranks and check how each rank ended.

Each rank's interpreter writes one line to the exit probe at its last
``atexit`` handler (``mmboxcaseg_toy_modules``, imported through
``sitecustomize`` below): its rank, whether the default process group is
still initialised, and the names of the threads of the process whose name
says gloo. A gloo thread alive at that point is torn down during interpreter
finalisation, which is what aborted ranks with SIGABRT (see
``mmboxcaseg.utils.launch.shutdown_distributed``); the abort itself is a
race, the live thread is not.
"""
import glob
import os
import socket
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DATA = os.path.dirname(os.path.abspath(__file__))


def alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine runs (a zombie does not)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_two_processes(cmd, tmp_path, timeout=300):
    """Run ``cmd`` (a list; ``PYTHON`` and ``PORT`` are set for the
    ``dist_*.sh`` scripts) from the repository root.

    Returns:
        tuple: the ``CompletedProcess``, the whole log (stdout + stderr, each
        rank's lines prefixed ``[default<rank>]:`` by torchrun) and the exit
        probe's lines sorted by rank.
    """
    probe = tmp_path / 'exit-probe.txt'
    proc = subprocess.run(cmd, cwd=ROOT, env=two_process_env(tmp_path),
                          capture_output=True, text=True, timeout=timeout)
    log = proc.stdout + proc.stderr
    lines = sorted(probe.read_text().splitlines()) if probe.exists() else []
    return proc, log, lines


def two_process_env(tmp_path) -> dict:
    """The environment :func:`run_two_processes` runs its command in (for
    a command started with ``subprocess.Popen``)."""
    probe = tmp_path / 'exit-probe.txt'
    env = dict(os.environ)
    env.update(
        PYTHON=sys.executable,
        PORT=str(free_port()),
        OMP_NUM_THREADS='1',
        # an abort prints the Python stack of every thread of that rank
        PYTHONFAULTHANDLER='1',
        # torchrun: prefix each rank's lines, keep them in files too
        PET_TEE='3',
        PET_LOG_DIR=str(tmp_path / 'torchrun-logs'),
        MMBOXCASEG_EXIT_PROBE=str(probe),
        PYTHONPATH=os.pathsep.join([ROOT, DATA, os.path.join(DATA, 'site'),
                                    os.environ.get('PYTHONPATH', '')]))
    return env


def check_clean_exit(proc, log, probe_lines):
    """Assert both ranks ended cleanly; on a failure print the whole log
    (pytest shows a failed test's stdout in full, unlike its message)."""
    clean = ['0 destroyed threads=-', '1 destroyed threads=-']
    if proc.returncode != 0 or probe_lines != clean:
        print(log)
        raise AssertionError(
            f'exit status {proc.returncode}, exit probe {probe_lines} '
            f'(expected {clean}); the whole log is in the captured stdout')


def log_files(work_dir) -> str:
    """The text of every log file MMEngine wrote under ``work_dir`` (its
    environment and config dumps are there, not on the console)."""
    text = ''
    for path in sorted(glob.glob(os.path.join(str(work_dir), '*', '*.log'))):
        with open(path) as f:
            text += f.read()
    return text
