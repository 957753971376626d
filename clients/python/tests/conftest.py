"""Shared fixtures: a fake node for the unit tests, and a time bound on every test."""

from __future__ import annotations

import faulthandler
import os
import shutil
import sys
import tempfile
from typing import Iterator, Tuple

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from fakenode import FakeConn, FakeNode  # noqa: E402

import gridclient  # noqa: E402

#: No test may take longer than this (seconds): it is stopped with every thread's stack printed.
UNIT_TEST_LIMIT = 60
INTEGRATION_TEST_LIMIT = 240


@pytest.fixture(autouse=True)
def _time_bound(request: pytest.FixtureRequest) -> Iterator[None]:
    limit = INTEGRATION_TEST_LIMIT if request.node.get_closest_marker("integration") else UNIT_TEST_LIMIT
    faulthandler.dump_traceback_later(limit, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def short_dir() -> Iterator[str]:
    """A temporary directory with a short path (Unix socket paths are limited to 107 bytes)."""
    path = tempfile.mkdtemp(prefix="gc-", dir="/tmp")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def fake(short_dir: str) -> Iterator[FakeNode]:
    node = FakeNode(os.path.join(short_dir, "gridnode.sock"))
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def connected(fake: FakeNode, short_dir: str) -> Iterator[Tuple[gridclient.Client, FakeConn]]:
    """A client connected to the fake node, and the fake's side of the connection."""
    client = gridclient.Client(data_dir=short_dir)
    conn = fake.connection()
    try:
        yield client, conn
    finally:
        client.close()
