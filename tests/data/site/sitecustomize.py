# Imported by every interpreter started with tests/data/site on PYTHONPATH
# (the 2-process tests): registers the exit probe first, so that it runs
# last of all atexit handlers.
import os

if os.environ.get('MMBOXCASEG_EXIT_PROBE'):
    import mmboxcaseg_exit_probe  # noqa: F401
