"""Free loopback ports for the processes we start."""

import socket


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_port_free(port: int, what: str, setting: str) -> None:
    """Fail clearly when something already listens on `port`, instead of talking to a stranger."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUse(
                f"127.0.0.1:{port} is already in use, so {what} cannot listen there; "
                f"stop what holds it or choose another port with {setting}"
            ) from None


class PortInUse(RuntimeError):
    pass
