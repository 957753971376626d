"""Hardening of the local API and the command line (issue 14, the parts done so far): a client
that half-closes gets its answers, local connections are bounded with a clear refusal, a
command whose stderr cannot be written exits with its status instead of crashing, and refused
peer connections are logged once per interval, not once each."""

from __future__ import annotations

import json
import os
import socket
import subprocess

import pytest

from gridnode_harness import Nodes, poll

pytestmark = pytest.mark.integration


def read_line(sock: socket.socket, timeout: float = 30) -> dict:
    sock.settimeout(timeout)
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    assert data, "the node closed the connection without answering"
    answer: dict = json.loads(data.split(b"\n")[0])
    return answer


def read_answers(sock: socket.socket, ids: set, timeout: float = 30) -> dict:
    """The answers to the requests ``ids``, by ID, past any notifications among them."""
    sock.settimeout(timeout)
    data, answers = b"", {}
    while not ids <= answers.keys():
        chunk = sock.recv(65536)
        assert chunk, f"the connection ended without answers to {ids - answers.keys()}: {data!r}"
        data += chunk
        *lines, data = data.split(b"\n")
        for line in lines:
            message = json.loads(line)
            if message.get("id") in ids:
                answers[message["id"]] = message
    return answers


def test_a_client_that_half_closes_gets_every_answer(nodes: Nodes) -> None:
    node = nodes.node("n").start("echo,sleep")
    for i in range(20):
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(node.socket_path)
            # Sent and shut at once, as nc -N and shell pipes do: often before the node reads anything.
            submit = {"jsonrpc": "2.0", "id": i, "method": "task.submit", "params": {"skill": "sleep", "input": "20", "wait": True}}
            info = {"jsonrpc": "2.0", "id": 100 + i, "method": "node.info"}
            sock.sendall(json.dumps(submit).encode() + b"\n" + json.dumps(info).encode() + b"\n")
            sock.shutdown(socket.SHUT_WR)
            answers = read_answers(sock, {i, 100 + i})
            assert answers[100 + i]["result"]["nodeId"] == node.node_id
            assert answers[i]["result"]["status"] == "succeeded", answers[i]


def test_invalid_utf8_is_refused_and_the_connection_goes_on(nodes: Nodes) -> None:
    node = nodes.node("n").start("echo")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(node.socket_path)
        sock.sendall(b'{"jsonrpc":"2.0","id":1,"method":"task.submit","params":{"skill":"echo","input":"\xff\xfe","wait":true}}\n')
        refused = read_line(sock)
        assert refused["id"] is None and refused["error"]["code"] == -32700 and "UTF-8" in refused["error"]["message"]
        sock.sendall('{"jsonrpc":"2.0","id":2,"method":"task.submit","params":{"skill":"echo","input":"hé","wait":true}}\n'.encode())
        answer = read_answers(sock, {2})[2]
        assert answer["result"]["output"] == "hé"


def test_local_connections_are_bounded_with_a_clear_refusal(nodes: Nodes) -> None:
    node = nodes.node("n")
    node.set_config(maxLocalConnections=3)
    node.start("echo")
    held = []
    refused = None
    try:
        # Open connections one by one, each answering before the next: at most 3 are served (fewer
        # if one of the harness's own is still closing), and the next is refused, naming the setting.
        for _ in range(10):
            s = socket.socket(socket.AF_UNIX)
            s.connect(node.socket_path)
            try:
                s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"node.info"}\n')
            except BrokenPipeError:
                pass  # refused before the request went out: its error line is waiting
            answer = read_line(s)
            if "error" in answer:
                refused = answer
                s.close()
                break
            held.append(s)
        assert refused is not None and 1 <= len(held) <= 3, (refused, len(held))
        assert refused["error"]["code"] == -32003 and refused["error"]["data"]["reason"] == "too_many_connections"
        assert "maxLocalConnections" in refused["error"]["message"]
        held.pop().close()
        # A place freed is a place taken again.
        def answers() -> bool:
            with socket.socket(socket.AF_UNIX) as again:
                again.connect(node.socket_path)
                try:
                    again.sendall(b'{"jsonrpc":"2.0","id":2,"method":"node.info"}\n')
                except BrokenPipeError:
                    return False
                return "result" in read_line(again)
        poll(answers, "a local connection to be accepted again once one closed")
    finally:
        for s in held:
            s.close()


def test_a_command_whose_stderr_is_full_exits_with_its_status(gridnode_bin: str, short_dir: str) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run([gridnode_bin, "submit", "--data-dir", os.path.join(short_dir, "none"), "echo", "--input", "x"],
                                stderr=full, stdout=subprocess.PIPE, timeout=60)
    assert result.returncode == 1  # not killed by SIGILL (-4)
    version = subprocess.run([gridnode_bin, "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("gridnode ")
    typo = subprocess.run([gridnode_bin, "sumbit", "echo", "--input", "x"], capture_output=True, text=True)
    assert typo.returncode == 1 and "did you mean 'submit'?" in typo.stderr, typo.stderr


def test_a_flood_of_refused_connections_costs_a_line_per_interval(nodes: Nodes) -> None:
    node = nodes.node("n").start("echo")
    host, port = node.listen_address.rsplit(":", 1)
    before = os.path.getsize(node.log_path)
    for _ in range(300):  # garbage: not a handshake
        with socket.create_connection((host, int(port))) as s:
            s.sendall(b"\x00\x00\x00\x05hello")
    # The node stays up and answers; its log grew by a few lines, not 300.
    with node.client() as client:
        assert client.info().node_id == node.node_id

    def refusals() -> list:
        with open(node.log_path, "rb") as f:
            f.seek(before)
            added = f.read().decode(errors="replace").splitlines()
        return [line for line in added if "handshake" in line or "refused" in line]
    poll(refusals, "the first refusal to be logged")
    # Every one of them is counted, though few were logged.
    def counted() -> int:
        with node.client() as client:
            return int(client.call("node.info").get("refusedConnections", 0))
    poll(lambda: counted() >= 300, "all 300 refusals to be counted")
    assert len(refusals()) <= 5, refusals()[-10:]
