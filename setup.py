from setuptools import find_packages, setup


def get_version():
    scope = {}
    with open('mmaccel/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmaccel',
    version=get_version(),
    description='Fast contrastive self-supervised pre-training with '
    'intermediate contrastive losses, for OpenMMLab',
    packages=find_packages(include=['mmaccel', 'mmaccel.*']),
    python_requires='>=3.9',
    license='Apache License 2.0',
)
