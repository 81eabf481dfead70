def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'install: builds and installs environments (minutes; '
        "-m 'not install' leaves it out)")
