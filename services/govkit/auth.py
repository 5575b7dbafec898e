"""Tokens: asymmetric JWT (EdDSA / Ed25519) verified locally by every service.

The org service will issue real tokens; until then `govops token mint` signs with the local
development key that `make run` generates. Public keys are read from a PEM file that may hold
several keys (rotation): the token header's `kid` picks one.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import PermissionDenied, Unauthenticated

ALL_UNITS = "*"
_PEM_BLOCK = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.S)


@dataclass(frozen=True)
class Scope:
    """Which org units a caller may read and change. `units is None` means every unit."""

    units: frozenset[str] | None

    @classmethod
    def from_claims(cls, scopes: list[dict]) -> "Scope":
        units = set()
        for s in scopes or []:
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


class TokenVerifier:
    def __init__(self, public_pem: bytes, *, issuer: str, audience: str, leeway: float = 5.0):
        self.keys: dict[str, Ed25519PublicKey] = {}
        for block in _PEM_BLOCK.findall(public_pem):
            key = serialization.load_pem_public_key(block)
            if isinstance(key, Ed25519PublicKey):
                self.keys[key_id(key)] = key
        if not self.keys:
            raise ValueError("no Ed25519 public key found")
        self.issuer, self.audience, self.leeway = issuer, audience, leeway

    @classmethod
    def from_file(cls, path: Path, **kw) -> "TokenVerifier":
        return cls(Path(path).read_bytes(), **kw)

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            key = self.keys.get(header.get("kid", ""))
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
            scope=Scope.from_claims(claims.get("scopes", [])),
            token_id=claims.get("jti", ""),
            claims=claims,
        )


class TokenSigner:
    def __init__(self, private_key: Ed25519PrivateKey, *, issuer: str, audience: str):
        self.key, self.issuer, self.audience = private_key, issuer, audience
        self.kid = key_id(private_key.public_key())

    @classmethod
    def from_file(cls, path: Path, **kw) -> "TokenSigner":
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        assert isinstance(key, Ed25519PrivateKey), "GovOps signs with Ed25519 keys"
        return cls(key, **kw)

    def mint(self, subject: str, *, roles=(), perms=(), scopes=(), name: str | None = None,
             ttl_seconds: int = 3600) -> str:
        now = int(time.time())
        claims = {
            "sub": subject, "name": name or subject, "roles": list(roles), "perms": list(perms),
            "scopes": [dict(s) for s in scopes], "iat": now, "exp": now + ttl_seconds,
            "iss": self.issuer, "aud": self.audience, "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})


def generate_keypair(private_path: Path, public_path: Path) -> bool:
    """Create a development signing key pair if none exists. True if created."""
    if private_path.exists() and public_path.exists():
        return False
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    private_path.chmod(0o600)
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    return True
