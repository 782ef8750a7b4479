"""The shared one-line exit of the tools and its path checks."""
import os.path as osp
import sys

import pytest

from mmboxcaseg.structures.coco_index import CocoFormatError
from mmboxcaseg.utils import (UserError, check_dir, check_out_file,
                              config_errors, exit_on_user_error, make_dir)

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def test_user_errors_exit_in_one_line_after_finally_and_bugs_do_not():
    done = []

    @exit_on_user_error
    def main(error):
        try:
            raise error
        finally:
            done.append(type(error).__name__)

    with pytest.raises(SystemExit) as info:
        main(UserError('a.json: line one\n  line two'))
    assert info.value.code == 'error: a.json: line one; line two'
    with pytest.raises(SystemExit) as info:
        main(CocoFormatError('b.json: no usable annotation'))
    assert info.value.code == 'error: b.json: no usable annotation'
    with pytest.raises(RuntimeError):  # not a user error: its traceback
        main(RuntimeError('a bug'))
    assert done == ['UserError', 'CocoFormatError', 'RuntimeError']


def test_config_errors_name_the_config():
    for error in (TypeError("__init__() got an unexpected keyword "
                            "argument 'x'"), KeyError('Foo is not in the '
                                                      'model registry')):
        with pytest.raises(UserError) as info:
            with config_errors('cfg.py'):
                raise error
        msg = str(info.value)
        assert msg.startswith(f'config cfg.py: {type(error).__name__}: ')
        assert "'x'" in msg or msg.endswith('registry')
    with pytest.raises(OSError):  # not an error of the config
        with config_errors('cfg.py'):
            raise OSError('disk')


def test_folders_and_files_in_the_way(tmp_path):
    afile = tmp_path / 'afile'
    afile.write_text('keep')
    with pytest.raises(UserError, match=f'--out-dir {afile} is a file'):
        check_dir(str(afile), '--out-dir')
    with pytest.raises(UserError,
                       match=f'--out-dir {afile}/a/b: {afile} is a file'):
        make_dir(str(afile / 'a' / 'b'), '--out-dir')
    with pytest.raises(UserError, match=f'--out {tmp_path} is a folder'):
        check_out_file(str(tmp_path), '--out')
    with pytest.raises(UserError, match=f'--out {afile}/x.txt: {afile} is'):
        check_out_file(str(afile / 'x.txt'), '--out')
    assert afile.read_text() == 'keep'
    made = make_dir(str(tmp_path / 'new' / 'deep'), '--out-dir')
    assert (tmp_path / 'new' / 'deep').is_dir() and made.endswith('deep')
    check_dir(str(tmp_path / 'not' / 'yet'), '--out-dir')  # may be made
    check_out_file(str(tmp_path / 'not' / 'yet.txt'), '--out')
    assert not (tmp_path / 'not').exists()


def test_load_config_raises_a_user_error_not_system_exit(tmp_path):
    """A library function does not end the process: the tools do."""
    from mmboxcaseg.utils import UserError
    from mmboxcaseg.utils.launch import load_config
    missing = str(tmp_path / 'nope.py')
    with pytest.raises(UserError, match='config file not found: .*nope.py'):
        load_config(missing)


def test_train_py_names_a_missing_config_in_one_line(tmp_path):
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from tools.train import main
    with pytest.raises(SystemExit) as err:
        main([str(tmp_path / 'nope.py')])
    assert str(err.value) == f'error: config file not found: ' \
        f'{tmp_path / "nope.py"}'
