"""Redirect history against requests': what each hop's ``history`` holds.

The same redirect chains through ``requests.Session`` and
``trio_http.Session``: the final response's history, each hop's own
history, and the response a ``TooManyRedirects`` carries.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from server import TestServer
from threaded_server import serve_in_thread

import trio_http


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        yield running


def _chain(response: Any) -> list[Any]:
    return [
        (str(hop.url), [str(earlier.url) for earlier in hop.history]) for hop in response.history
    ]


@pytest.mark.parametrize("hops", [1, 4])
def test_each_hop_holds_the_hops_before_it(live: TestServer, hops: int) -> None:
    url = live.url_for(f"/redirect/{hops}")
    with requests.Session() as theirs_session, trio_http.Session() as ours_session:
        theirs = theirs_session.get(url)
        ours = ours_session.get(url)
    assert _chain(ours) == _chain(theirs)
    assert all(ours.history[i].history == ours.history[:i] for i in range(hops))


def _too_many(session: Any, library: Any, url: str) -> Any:
    session.max_redirects = 3
    with session, pytest.raises(library.TooManyRedirects) as caught:
        session.get(url)
    error = caught.value
    return (
        str(error.request.url),
        str(error.response.url),
        error.response.status_code,
        [str(hop.url) for hop in error.response.history],
    )


def test_too_many_redirects_response_holds_the_whole_chain(live: TestServer) -> None:
    url = live.url_for("/redirect/6")
    theirs = _too_many(requests.Session(), requests, url)
    ours = _too_many(trio_http.Session(), trio_http, url)
    assert ours == theirs
    assert len(ours[3]) == 3


async def test_async_client_too_many_redirects_history(server: TestServer) -> None:
    async with trio_http.AsyncClient(max_redirects=2) as client:
        with pytest.raises(trio_http.TooManyRedirects) as caught:
            await client.get(server.url_for("/redirect/5"))
    response = caught.value.response
    assert response is not None
    assert [hop.url.path for hop in response.history] == ["/redirect/5", "/redirect/4"]
    assert response.history[1].history == response.history[:1]
