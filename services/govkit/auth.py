"""Tokens: asymmetric JWT (EdDSA / Ed25519) verified locally by every service.

The org service will issue real tokens; until then `govops token mint` signs with the local
development key that `make run` generates. Public keys are read from a PEM file that may hold
several keys (rotation): the token header's `kid` picks one.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import PermissionDenied, Unauthenticated

ALL_UNITS = "*"
_PEM_BLOCK = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.S)
_PRIVATE_BLOCK = re.compile(rb"-----BEGIN PRIVATE KEY-----.+?-----END PRIVATE KEY-----", re.S)


def load_private_keys(pem: bytes) -> list[Ed25519PrivateKey]:
    keys = []
    for block in _PRIVATE_BLOCK.findall(pem):
        key = serialization.load_pem_private_key(block, password=None)
        if isinstance(key, Ed25519PrivateKey):
            keys.append(key)
    return keys


@dataclass(frozen=True)
class Scope:
    """Which org units a caller may read and change. `units is None` means every unit."""

    units: frozenset[str] | None

    @classmethod
    def from_claims(cls, claims: dict) -> Scope:
        """Tokens from org carry `units`: the scope with subtrees already expanded ("*" = all).
        Older or hand-made tokens may carry only `scopes` ([{unit, subtree}]), read literally."""
        if "units" in claims:
            units = set(claims["units"] or ())
            return cls(None) if ALL_UNITS in units else cls(frozenset(units))
        units = set()
        for s in claims.get("scopes") or []:
            unit = str(s.get("unit", ""))
            if unit == ALL_UNITS:
                return cls(None)
            if unit:
                units.add(unit)
        return cls(frozenset(units))

    @property
    def is_global(self) -> bool:
        return self.units is None

    def allows(self, unit: str | None) -> bool:
        return self.units is None or (unit is not None and unit in self.units)


@dataclass(frozen=True)
class Principal:
    subject: str
    name: str
    roles: tuple[str, ...]
    permissions: frozenset[str]
    scope: Scope
    token_id: str = ""
    claims: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def staff_id(self) -> str | None:
        """The org staff member acting, when the subject is a person with a staff record."""
        return self.claims.get("staff_id")

    def has(self, permission: str) -> bool:
        return permission in self.permissions or "*" in self.permissions

    def require(self, permission: str) -> None:
        if not self.has(permission):
            raise PermissionDenied(f"{self.subject} lacks permission {permission}")


# A principal for work the system does itself (consumers, timers, seeding): sees all units.
SYSTEM = Principal("system", "system", ("system",), frozenset({"*"}), Scope(None))


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_keys(pem: bytes) -> dict[str, Ed25519PublicKey]:
    keys = {}
    for block in _PEM_BLOCK.findall(pem):
        key = serialization.load_pem_public_key(block)
        if isinstance(key, Ed25519PublicKey):
            keys[key_id(key)] = key
    return keys


class TokenVerifier:
    """Verifies tokens locally. On a token signed by a key it does not know (org rotated its
    key), it asks `key_source` for the current public keys — at most once per `refetch_seconds`."""

    def __init__(self, public_pem: bytes, *, issuer: str, audience: str, leeway: float = 5.0,
                 key_source=None, refetch_seconds: float = 30.0):
        self.keys: dict[str, Ed25519PublicKey] = load_public_keys(public_pem)
        if not self.keys and key_source is None:
            raise ValueError("no Ed25519 public key found")
        self.issuer, self.audience, self.leeway = issuer, audience, leeway
        self.key_source, self.refetch_seconds = key_source, refetch_seconds
        self._last_fetch = float("-inf")
        # Clients reuse a token for many calls: verify its signature once, then only its expiry.
        self._verified: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._cache_size = 10_000
        self._cache_lock = threading.Lock()

    def _key(self, kid: str):
        key = self.keys.get(kid)
        if key is None and self.key_source is not None and \
                time.monotonic() - self._last_fetch >= self.refetch_seconds:
            self._last_fetch = time.monotonic()
            try:
                self.keys = {**self.keys, **load_public_keys(self.key_source())}
            except Exception:  # org unreachable: keep the keys we have; the token stays unknown
                pass
            key = self.keys.get(kid)
        return key

    @classmethod
    def from_file(cls, path: Path | None, **kw) -> TokenVerifier:
        """The public key(s) of the file; a missing file (or None) starts with none, which needs a
        `key_source` (org's GetPublicKeys) to verify anything."""
        pem = Path(path).read_bytes() if path is not None and Path(path).exists() else b""
        return cls(pem, **kw)

    def verify(self, token: str) -> Principal:
        now = time.time()
        with self._cache_lock:
            hit = self._verified.get(token)
            if hit is not None and hit[0] > now:
                self._verified.move_to_end(token)
                return hit[1]
        principal = self._verify(token)
        with self._cache_lock:
            self._verified[token] = (float(principal.claims["exp"]) + self.leeway, principal)
            if len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            key = self._key(header.get("kid", ""))
            if key is None:
                raise Unauthenticated("token signed by an unknown key")
            claims = jwt.decode(token, key, algorithms=["EdDSA"], audience=self.audience,
                                issuer=self.issuer, leeway=self.leeway,
                                options={"require": ["exp", "iat", "sub", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token expired") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from None
        return Principal(
            subject=claims["sub"],
            name=claims.get("name", claims["sub"]),
            roles=tuple(claims.get("roles", ())),
            permissions=frozenset(claims.get("perms", ())),
            scope=Scope.from_claims(claims),
            token_id=claims.get("jti", ""),
            claims=claims,
        )


class TokenSigner:
    def __init__(self, private_key: Ed25519PrivateKey, *, issuer: str, audience: str,
                 all_keys: list[Ed25519PrivateKey] | None = None):
        self.key, self.issuer, self.audience = private_key, issuer, audience
        self.kid = key_id(private_key.public_key())
        self.all_keys = all_keys or [private_key]

    @classmethod
    def from_file(cls, path: Path, **kw) -> TokenSigner:
        """The file may hold several private keys (rotation): the last one signs."""
        keys = load_private_keys(Path(path).read_bytes())
        if not keys:
            raise ValueError(f"no Ed25519 private key in {path}")
        return cls(keys[-1], all_keys=keys, **kw)

    def public_pem(self) -> bytes:
        """Every public key of the file, for verifiers (the old ones verify unexpired tokens)."""
        return b"".join(k.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
                        for k in self.all_keys)

    def mint(self, subject: str, *, roles=(), perms=(), scopes=(), name: str | None = None,
             ttl_seconds: int = 3600, extra: dict | None = None) -> str:
        now = int(time.time())
        claims = {
            "sub": subject, "name": name or subject, "roles": list(roles), "perms": list(perms),
            "scopes": [dict(s) for s in scopes], **(extra or {}), "iat": now, "exp": now + ttl_seconds,
            "iss": self.issuer, "aud": self.audience, "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})


def generate_keypair(private_path: Path, public_path: Path) -> bool:
    """Create a development signing key pair if none exists. True if created."""
    if private_path.exists() and public_path.exists():
        return False
    private_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    private_path.chmod(0o600)
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    return True
