"""Calls that ``mypy --strict`` must reject (read by tests/test_request_options.py).

Each wrong line ends with ``# E: <part of the expected message>``; the
test expects exactly those errors, on those lines. Nothing here runs.
"""

from __future__ import annotations

import trio_http
from trio_http import AsyncClient, Parallel, Session

URL = "https://example.org/"


def _expect_ints(results: Parallel[int]) -> None:
    pass


async def async_client_calls(client: AsyncClient) -> None:
    await client.get(URL, timout=5)  # E: Unexpected keyword argument "timout" for "get"
    await client.post(URL, timeout="5")  # E: Argument "timeout" to "post"
    await client.get(URL, follow_redirects="yes")  # E: Argument "follow_redirects" to "get"
    await client.get(URL, allow_redirects=False)  # E: Unexpected keyword argument "allow_redirects"
    await client.put(URL, data=5)  # E: Argument "data" to "put"
    await client.delete(URL, auth="user:pass")  # E: Argument "auth" to "delete"
    await client.request("GET", URL, timout=5)  # E: Unexpected keyword argument "timout"


def session_calls(session: Session) -> None:
    session.get(URL, timout=5)  # E: Unexpected keyword argument "timout" for "get" of "Session"
    session.get(URL, timeout="5")  # E: Argument "timeout" to "get" of "Session"
    session.head(URL, allow_redirects="yes")  # E: Argument "allow_redirects" to "head"
    session.get(URL, follow_redirects=True)  # E: Unexpected keyword argument "follow_redirects"
    session.post(URL, hooks={"response": 1})  # E: Dict entry 0 has incompatible type
    session.options(URL, verify=1.5)  # E: Argument "verify" to "options" of "Session"
    _expect_ints(session.parallel([URL]))  # E: has incompatible type "Parallel[Response]"
    session.parallel([URL], max_inflight=2)  # E: No overload variant of "parallel" of "Session"


def module_function_calls() -> None:
    trio_http.get(URL, timout=5)  # E: Unexpected keyword argument "timout" for "get"
    trio_http.post(URL, timeout=[1, 2])  # E: Argument "timeout" to "post"
    trio_http.patch(URL, cookies=5)  # E: Argument "cookies" to "patch"
    trio_http.request("GET", URL, proxy="http://proxy")  # E: Unexpected keyword argument "proxy"
    _expect_ints(trio_http.parallel([URL]))  # E: has incompatible type "Parallel[Response]"
    trio_http.parallel([URL], errors="ignore")  # E: No overload variant of "parallel"
