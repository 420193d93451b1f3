"Packaging for harmoq: metadata comes from `settings.ini`, as in every nbdev 2 project."
from configparser import ConfigParser
from pathlib import Path
import setuptools

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']

licenses = {'apache2': 'Apache-2.0'}  # SPDX expression
statuses = ['Planning', 'Pre-Alpha', 'Alpha', 'Beta', 'Production/Stable', 'Mature', 'Inactive']
py_versions = '3.10 3.11 3.12 3.13'.split()
lic = licenses[cfg['license']]
min_python = cfg['min_python']

requirements = cfg['requirements'].split()
# Extras. `dev` is what a contributor (and CI) needs: the nbdev 2 toolchain at versions known to work
# together (nbdev 2.4.14 needs fastcore>=1.12.3; fastcore 1.13+/2.x and execnb 0.2+ break it), plus
# everything the notebooks and tests import.
notebooks = ['matplotlib', 'ipywidgets']
test = ['pytest', 'scikit-image', 'build'] + notebooks
kernels = ['triton']
onnx = ['onnx', 'onnxscript', 'onnxruntime']   # harmoq_quantize --onnx / harmoq_eval --onnx (harmoq.onnx_export)
dev = ['nbdev==2.4.14', 'fastcore>=1.12.3,<1.13', 'execnb<0.2', 'jupyterlab'] + test + kernels + onnx
extras = dict(notebooks=notebooks, test=test, kernels=kernels, onnx=onnx, dev=dev)

setuptools.setup(
    name=cfg['lib_name'],
    license=lic,
    classifiers=['Development Status :: ' + statuses[int(cfg['status'])],
                 'Intended Audience :: ' + cfg['audience'].title(),
                 'Natural Language :: ' + cfg['language'].title()]
               + ['Programming Language :: Python :: ' + o for o in py_versions[py_versions.index(min_python):]],
    url=cfg['git_url'],
    packages=setuptools.find_packages(include=['harmoq', 'harmoq.*']),
    include_package_data=True,
    package_data={'harmoq': ['assets/*', 'assets/*/*']},
    install_requires=requirements,
    extras_require=extras,
    python_requires='>=' + min_python,
    long_description=Path('README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={'console_scripts': cfg.get('console_scripts', '').split(),
                  'nbdev': [f'{cfg["lib_path"]}={cfg["lib_path"]}._modidx:d']},
    version=cfg['version'], author=cfg['author'], author_email=cfg['author_email'],
    description=cfg['description'], keywords=cfg['keywords'],
)
