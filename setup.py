#!/usr/bin/env python
"""Packaging for mmboxcaseg (OpenMMLab style, see mmyolo/mmdet setup.py)."""
import os
import os.path as osp
import shutil
import sys
import warnings

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
VERSION_FILE = osp.join('mmboxcaseg', 'version.py')


def get_version():
    scope = {}
    with open(VERSION_FILE, encoding='utf-8') as f:
        exec(compile(f.read(), VERSION_FILE, 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname):
    """Read a requirements file, following ``-r`` includes, dropping comments."""
    reqs = []
    with open(fname, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            if line.startswith('-r '):
                reqs += parse_requirements(
                    osp.join(osp.dirname(fname), line[3:].strip()))
            else:
                reqs.append(line)
    return reqs


def add_mim_extension():
    """Expose configs/, tools/ and model-index.yml under ``mmboxcaseg/.mim``.

    Editable installs (``pip install -e .`` / ``mim install -e .``) get
    symlinks, so ``mim`` and ``mmboxcaseg.config_path`` see the live files;
    a regular install or a wheel build copies them into the package.
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif any(a in sys.argv for a in ('sdist', 'bdist_wheel', 'install')):
        mode = 'copy'
    else:
        return
    filenames = ['tools', 'configs', 'demo', 'model-index.yml']
    mim_path = osp.join(HERE, 'mmboxcaseg', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for filename in filenames:
        src = osp.join(HERE, filename)
        if not osp.exists(src):
            continue
        tar = osp.join(mim_path, filename)
        if osp.isfile(tar) or osp.islink(tar):
            os.remove(tar)
        elif osp.isdir(tar):
            shutil.rmtree(tar)
        if mode == 'symlink':
            try:
                os.symlink(osp.relpath(src, osp.dirname(tar)), tar)
                continue
            except OSError:
                warnings.warn(f'cannot symlink {filename}; copying it instead')
        if osp.isdir(src):
            shutil.copytree(src, tar)
        else:
            shutil.copyfile(src, tar)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmboxcaseg',
        version=get_version(),
        description='BoxCaseg for OpenMMLab: bounding boxes to instance masks '
        '(box-supervised class-agnostic segmentation with salient images)',
        long_description=open('README.md', encoding='utf-8').read(),
        long_description_content_type='text/markdown',
        keywords='computer vision, weakly supervised instance segmentation, '
        'box supervision, mmdetection',
        packages=find_packages(exclude=('configs', 'tools', 'demo', 'tests')),
        include_package_data=True,
        python_requires='>=3.8',
        license='Apache License 2.0',
        classifiers=[
            'Programming Language :: Python :: 3',
            'Topic :: Scientific/Engineering :: Artificial Intelligence',
        ],
        install_requires=parse_requirements('requirements/runtime.txt') +
        parse_requirements('requirements/mminstall.txt'),
        extras_require={
            'tests': parse_requirements('requirements/tests.txt'),
            'optional': parse_requirements('requirements/optional.txt'),
            'mim': parse_requirements('requirements/mminstall.txt'),
        },
        zip_safe=False)
