"""Whether a port make serve is about to listen on is free, and who holds it when it is not. A stale code
server left on 4000 would otherwise pass serve's readiness check as its own, and runs then fail far from the
cause (with "too many retries for DB connection", against an instance that is not this one)."""

import socket

import psutil


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def port_holder(port: int) -> str:
    """`process <pid> (<command line>)` listening on the port, or a phrase when it cannot be seen."""
    try:
        listeners = [c for c in psutil.net_connections(kind="tcp") if c.laddr and c.laddr.port == port and c.pid]
    except psutil.AccessDenied:
        listeners = []
    for connection in listeners:
        try:
            command = " ".join(psutil.Process(connection.pid).cmdline())[:120]
        except psutil.Error:
            command = "?"
        return f"process {connection.pid} ({command})"
    return "another process (not visible to this user)"
