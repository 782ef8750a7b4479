"""Pure-Python copies of the main configs (tools/misc/export_configs.py),
for ``with read_base(): from mmboxcaseg.configs.<name> import *``."""
