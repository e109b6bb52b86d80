"""Where an issuer's signing keys come from: a JWKS endpoint, or a fixed key set.

PyJWT's ``PyJWKClient`` fetches and parses the JWKS with blocking ``urllib`` calls, so
every fetch runs in a worker thread (``asyncio.to_thread``) and never on the event
loop. The keys are fetched once at start, again every ``refresh_seconds`` in the
background (so a rotated key is usually known before the first token signed with it
arrives), and again when a token names an unknown ``kid``: at most once per
``min_refresh_seconds``, so that tokens with made-up key ids cannot make the gateway
hammer the issuer (a token with an unknown kid inside that interval is refused). A
request waits for one fetch at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from jwt import PyJWK, PyJWKClient, PyJWKSet
from jwt.exceptions import PyJWTError

from tandem_gateway.auth.errors import InvalidToken

log = logging.getLogger(__name__)


class KeySource(Protocol):
    """The public keys of one trusted issuer, by key id."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def key_for(self, kid: str) -> PyJWK:
        """The key with id ``kid``; raises ``InvalidToken`` when there is none."""
        ...


def signing_keys(key_set: PyJWKSet) -> dict[str, PyJWK]:
    """The keys of a set that may verify signatures (``use`` absent or ``sig``), by ``kid``."""
    return {key.key_id: key for key in key_set.keys if key.key_id and key.public_key_use in ("sig", None)}


class StaticKeys:
    """A key set that does not change while the gateway runs (the development issuer's).

    ``load`` reads it (from a file, say); it runs in a worker thread at start.
    """

    def __init__(self, load: Callable[[], PyJWKSet]) -> None:
        self._load = load
        self._keys: dict[str, PyJWK] = {}

    async def start(self) -> None:
        self._keys = signing_keys(await asyncio.to_thread(self._load))

    async def stop(self) -> None:
        return None

    async def key_for(self, kid: str) -> PyJWK:
        try:
            return self._keys[kid]
        except KeyError:
            raise InvalidToken("The token's signing key is unknown.") from None


class KeysUnavailable(Exception):
    """The JWKS endpoint could not be read, or held no usable signing key."""


class JwksKeys:
    """An issuer's JWKS, cached and refreshed in the background and on an unknown ``kid``."""

    def __init__(
        self,
        url: str,
        *,
        refresh_seconds: float,
        min_refresh_seconds: float,
        timeout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        # No cache in the client: this class holds the keys and decides when to fetch.
        self._client = PyJWKClient(url, cache_jwk_set=False, timeout=timeout_seconds)
        self._refresh_seconds = refresh_seconds
        self._min_refresh_seconds = min_refresh_seconds
        self._timeout_seconds = timeout_seconds
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        # When a token's unknown kid last made it fetch: such fetches are rate-limited,
        # the start-up and periodic ones (bounded by their own interval) are not.
        self._fetched_on_demand_at: float | None = None
        # One fetch at a time: requests with the same unknown kid share it.
        self._lock = asyncio.Lock()
        # Fetches finished so far: a request that waited for one does not start another.
        self._fetches = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Fetch the keys before the first request, then keep them fresh in the background."""
        try:
            async with self._lock:
                await self._refresh()
        except KeysUnavailable as error:
            # The gateway still starts: the background task and the next token retry.
            log.warning("signing keys of %s not fetched at start: %s", self.url, error)
        self._task = asyncio.create_task(self._refresh_periodically(), name=f"jwks refresh {self.url}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def key_for(self, kid: str) -> PyJWK:
        key = self._keys.get(kid)
        if key is not None:
            return key
        fetches_seen = self._fetches
        async with self._lock:
            # Another request's fetch, or the periodic one, may have brought it meanwhile;
            # if one ran while this request waited, it was the one fetch it waits for.
            key = self._keys.get(kid)
            if key is not None:
                return key
            if self._fetches != fetches_seen:
                raise InvalidToken("The token's signing key is unknown.")
            if self._fetched_on_demand_at is not None and (
                self._clock() - self._fetched_on_demand_at < self._min_refresh_seconds
            ):
                raise InvalidToken("The token's signing key is unknown.")
            self._fetched_on_demand_at = self._clock()
            try:
                await self._refresh()
            except KeysUnavailable as error:
                log.warning("signing keys of %s not fetched: %s", self.url, error)
                raise InvalidToken("The issuer's signing keys are unavailable.") from None
        key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("The token's signing key is unknown.")
        return key

    async def refresh(self) -> None:
        """Fetch the key set now (raises ``KeysUnavailable``; the keys known are kept then)."""
        async with self._lock:
            await self._refresh()

    async def _refresh(self) -> None:
        try:
            # The client's own timeout bounds the fetch; wait_for bounds the wait for
            # the thread too, should the connection hang past it.
            key_set = await asyncio.wait_for(
                asyncio.to_thread(self._client.get_jwk_set, True), timeout=self._timeout_seconds + 1.0
            )
        except (PyJWTError, ValueError, OSError, TimeoutError) as error:
            raise KeysUnavailable(f"{type(error).__name__}: {error}") from error
        finally:
            self._fetches += 1
        keys = signing_keys(key_set)
        if not keys:
            raise KeysUnavailable("no signing key with a kid in the set")
        self._keys = keys

    async def _refresh_periodically(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_seconds)
            try:
                await self.refresh()
            except KeysUnavailable as error:
                log.warning("signing keys of %s not refreshed, keeping the known ones: %s", self.url, error)
            except Exception:  # the loop must outlive any one bad answer
                log.exception("signing keys of %s not refreshed, keeping the known ones", self.url)
