import os
import sys

# tests/data holds the toy modules that tests/data/toy_config.py imports
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')
if DATA not in sys.path:
    sys.path.insert(0, DATA)
