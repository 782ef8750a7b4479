"""At interpreter exit, after every other ``atexit`` handler, append
``<RANK> <alive|destroyed> threads=<gloo threads or ->`` to the file named by
``MMBOXCASEG_EXIT_PROBE`` (see ``two_processes.py``)."""
import atexit
import glob
import os


def _gloo_threads():
    names = []
    for path in glob.glob('/proc/self/task/*/comm'):
        try:
            with open(path) as f:
                name = f.read().strip()
        except OSError:  # the thread ended meanwhile
            continue
        if 'gloo' in name:
            names.append(name)
    return sorted(names)


def _exit_probe(path):
    import sys
    dist = sys.modules.get('torch.distributed')
    alive = dist is not None and dist.is_available() and dist.is_initialized()
    if 'RANK' not in os.environ:  # torchrun's agent
        return
    threads = ','.join(_gloo_threads()) or '-'
    with open(path, 'a') as f:
        f.write(f'{os.environ["RANK"]} {"alive" if alive else "destroyed"} '
                f'threads={threads}\n')


atexit.register(_exit_probe, os.environ['MMBOXCASEG_EXIT_PROBE'])
