"""Damage is detected: real gridnode processes on a deleted or damaged store, and ``init --force``
against a running node.

A node whose data directory holds an identity refuses to start when its task store
(``grid.sqlite``) is missing, empty or damaged, saying so on stderr with a non-zero exit, and
leaves a damaged file as it is; ``--new-store`` moves it aside and begins an empty store.
``gridnode init --force`` refuses to replace the identity of a running node.
"""

from __future__ import annotations

import glob
import os


import pytest

from gridnode_harness import Node, Nodes

pytestmark = pytest.mark.integration

PAGE = 4096


def node_with_a_task(nodes: Nodes, name: str) -> Node:
    """A node that ran one task and stopped (its store closed, so its log is in the file)."""
    node = nodes.node(name).start("echo")
    with node.client() as client:
        assert client.submit("echo", "remember me", wait=True, timeout=30).output_text == "remember me"
    node.stop()
    assert node.process is not None and node.process.returncode == 0
    return node


def damage_page_2(path: str) -> bytes:
    """Writes garbage over the database's second page; returns the damaged file's bytes."""
    with open(path, "r+b") as file:
        file.seek(PAGE)
        file.write(bytes((i * 31 + 7) % 256 for i in range(PAGE)))
    with open(path, "rb") as file:
        return file.read()


def test_init_creates_the_store(nodes: Nodes) -> None:
    node = nodes.node("fresh")
    assert os.path.getsize(node.store_path) > 0


def test_a_deleted_store_is_refused(nodes: Nodes) -> None:
    node = node_with_a_task(nodes, "deleted")
    node_id = node.command("id").stdout.strip()
    os.remove(node.store_path)
    result = node.run_refused()
    assert result.returncode != 0
    assert (f"error: {node.data_dir} holds node {node_id}'s identity but its task store {node.store_path} "
            "is missing: the tasks this node accepted earlier are gone. Restore grid.sqlite from a backup, "
            "or start with --new-store") in result.stderr
    assert not os.path.exists(node.store_path)


def test_an_emptied_store_is_refused(nodes: Nodes) -> None:
    node = nodes.node("emptied")
    open(node.store_path, "wb").close()
    result = node.run_refused()
    assert result.returncode != 0
    assert f"task store {node.store_path} is empty (0 bytes)" in result.stderr
    assert os.path.getsize(node.store_path) == 0


def test_a_damaged_store_is_refused_and_kept(nodes: Nodes) -> None:
    node = node_with_a_task(nodes, "damaged")
    damaged = damage_page_2(node.store_path)
    result = node.run_refused()
    assert result.returncode != 0
    assert f"error: {node.store_path} is damaged (" in result.stderr
    assert "the node will not start on it" in result.stderr and "--new-store" in result.stderr
    with open(node.store_path, "rb") as file:
        assert file.read() == damaged


def test_new_store_moves_the_damaged_store_aside_and_starts(nodes: Nodes) -> None:
    node = node_with_a_task(nodes, "renewed")
    node_id = node.command("id").stdout.strip()
    damaged = damage_page_2(node.store_path)
    node.start("echo", extra=["--new-store"])
    assert node.node_id == node_id
    kept = glob.glob(node.store_path + ".damaged-*")
    assert len(kept) == 1 and not kept[0].endswith("-wal") and not kept[0].endswith("-shm"), kept
    with open(kept[0], "rb") as file:
        assert file.read() == damaged
    with node.client() as client:
        assert client.list(limit=10) == []  # the new store is empty
        assert client.submit("echo", "again", wait=True, timeout=30).output_text == "again"
    node.stop()
    assert node.process is not None and node.process.returncode == 0
    # The new store is the node's store now: it starts without the flag.
    node.start("echo")


def test_new_store_begins_an_empty_store_when_it_was_deleted(nodes: Nodes) -> None:
    node = nodes.node("recreated")
    os.remove(node.store_path)
    node.start("echo", extra=["--new-store"])
    assert os.path.getsize(node.store_path) > 0


def test_init_force_is_refused_while_the_node_runs(nodes: Nodes) -> None:
    node = nodes.node("running").start("echo")
    result = node.command("init", "--force")
    assert result.returncode != 0
    assert (f"error: a gridnode is running with {node.data_dir}; stop it first — its identity cannot be "
            "replaced while it runs") in result.stderr
    assert node.command("id").stdout.strip() == node.node_id
    with node.client() as client:
        assert client.info().node_id == node.node_id
    node.stop()
    # Stopped, the identity can be replaced.
    assert node.command("init", "--force").returncode == 0
    assert node.command("id").stdout.strip() != node.node_id
