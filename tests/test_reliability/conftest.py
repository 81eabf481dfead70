import socket

import pytest


@pytest.fixture
def free_port():
    """A function that returns a free local TCP port, as a string."""

    def find():
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            return str(s.getsockname()[1])

    return find
