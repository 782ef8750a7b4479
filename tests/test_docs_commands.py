"""Every command in README.md and docs/*.md names files that exist and flags
that its tool accepts; the quick ones run. The docs cannot go stale silently.

Each ```bash block is split into commands (``\\`` continuations joined). For
``python <script>`` / ``torchrun ... <script>`` / ``bash <script>`` commands
the script must exist, every repository path argument (``configs/...``,
``tools/...``, ``demo/...``) must exist, and the script's own
``parse_args`` must accept the arguments (placeholders in capitals, ``...``
and ``<...>`` are replaced by harmless values first).
"""
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tool_loader import load_tool

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / 'README.md'] + sorted((ROOT / 'docs').glob('*.md')) + sorted(
    (ROOT / 'configs').glob('*/README.md'))
REPO_DIRS = ('configs/', 'tools/', 'demo/')
PLACEHOLDER = re.compile(r'^(<[^>]+>|[A-Z][A-Z0-9_]*(\.[a-z]+)?|\.\.\.)$')


def commands():
    for doc in DOCS:
        text = doc.read_text()
        for block in re.findall(r'```bash\n(.*?)```', text, flags=re.S):
            block = re.sub(r'\\\n\s*', ' ', block)
            for line in block.splitlines():
                line = line.split(' #')[0].strip()
                if line and not line.startswith('#'):
                    yield doc.relative_to(ROOT).as_posix(), line


def _script_and_args(tokens):
    """``(script, args)`` of a python / torchrun / bash command, else None."""
    while tokens and '=' in tokens[0] and not tokens[0].startswith('-'):
        tokens = tokens[1:]  # VAR=value prefixes
    if not tokens:
        return None
    head = tokens[0]
    if head.endswith('python') or head.endswith('python3'):
        rest = tokens[1:]
        if rest and rest[0] == '-m':
            if len(rest) > 1 and rest[1] in ('torch.distributed.run', ):
                rest = rest[2:]
            else:
                return None
    elif head == 'torchrun':
        rest = tokens[1:]
    elif head == 'bash' or head.endswith('.sh'):
        rest = tokens[1:] if head == 'bash' else tokens
    else:
        return None
    rest = [t for t in rest if not t.startswith('--nproc_per_node')
            and not t.startswith('--master_port')]
    if not rest or not rest[0].endswith(('.py', '.sh')):
        return None
    return rest[0], rest[1:]


CASES = [(doc, line) for doc, line in commands()
         if _script_and_args(shlex.split(line)) is not None]


def _fill(arg: str) -> str:
    if PLACEHOLDER.match(arg) or arg.startswith('<'):
        return 'x.py' if arg.endswith('.py') else 'x'
    return arg


@pytest.mark.parametrize('doc,line', CASES)
def test_documented_command_is_valid(doc, line):
    script, args = _script_and_args(shlex.split(line))
    path = ROOT / script
    assert path.is_file(), f'{doc}: {script} does not exist'
    for arg in args:
        value = arg.split('=', 1)[-1]
        if value.startswith(REPO_DIRS) and not PLACEHOLDER.match(
                Path(value).name) and '<' not in value and '*' not in value:
            assert (ROOT / value).exists(), f'{doc}: {value} does not exist'
    if script == 'tools/dist_proxy.sh':  # NUM_PROCS, the converter's flags
        path, args = ROOT / 'tools' / 'generate_proxy_masks.py', args[1:]
    elif script.endswith('.sh'):
        return
    module = load_tool(str(path))
    parse = getattr(module, 'parse_args', None)
    if parse is None:
        return
    argv = [_fill(a) for a in args if a != '...']
    try:
        parse(argv)
    except SystemExit as e:  # argparse rejected the documented flags
        pytest.fail(f'{doc}: `{line}` is refused by {script}: exit {e.code}')


def test_docs_have_commands():
    assert len(CASES) > 20


def test_the_quick_ones_run(tmp_path):
    py = sys.executable
    subprocess.run([
        py, 'tools/model_converters/efficientnet_lite_to_mmboxcaseg.py',
        '--out', str(tmp_path / 'lite0.pth')
    ], cwd=ROOT, check=True, capture_output=True)
    assert (tmp_path / 'lite0.pth').stat().st_size > 10**6
    mim = Path(sys.executable).parent / 'mim'
    if mim.is_file():
        out = subprocess.run([str(mim), 'search', 'mmboxcaseg'], cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert 'boxcaseg_effnet-lite0' in out.stdout
