import datetime
import warnings

from mmengine import DefaultScope
from mmengine.registry import Registry

from mmboxcaseg import registry


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmboxcaseg (and mmdet) module into the registries.

    Our modules are imported from the ``locations`` of our registries
    (:mod:`mmboxcaseg.registry`), all at once instead of at each registry's
    first look-up: this base layer names no package above it.

    Args:
        init_default_scope (bool): make ``mmboxcaseg`` the current default
            scope, so that a bare type name is searched in our registries
            first, then in mmdet's and mmengine's. Defaults to True.
    """
    from .compiled_ops import have_compiled_ops
    if have_compiled_ops():  # mmdet's models need mmcv.ops
        import mmdet.utils
        mmdet.utils.register_all_modules(init_default_scope=False)

    for found in vars(registry).values():
        if isinstance(found, Registry) and found.scope == 'mmboxcaseg':
            found.import_from_location()

    if init_default_scope:
        never_created = DefaultScope.get_current_instance() is None \
            or not DefaultScope.check_instance_created('mmboxcaseg')
        if never_created:
            DefaultScope.get_instance('mmboxcaseg', scope_name='mmboxcaseg')
            return
        current_scope = DefaultScope.get_current_instance()
        if current_scope.scope_name != 'mmboxcaseg':
            warnings.warn('The current default scope '
                          f'"{current_scope.scope_name}" is not "mmboxcaseg", '
                          '`register_all_modules` will force the current'
                          'default scope to be "mmboxcaseg". If this is not '
                          'expected, please set `init_default_scope=False`.')
            new_instance_name = f'mmboxcaseg-{datetime.datetime.now()}'
            DefaultScope.get_instance(
                new_instance_name, scope_name='mmboxcaseg')
