"""Password hashing (argon2id) and token signing for the identity use cases."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from govkit.auth import TokenSigner, key_id


class Security:
    """`signer` may be None for tools that only hash passwords (govops-bootstrap-admin): they must
    not need the signing key, which only org-grpc holds."""

    def __init__(self, signer: TokenSigner | None, hasher: PasswordHasher | None = None):
        self.signer = signer
        self.hasher = hasher or PasswordHasher()
        self._dummy = self.hasher.hash("not a real password")

    def hash_password(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify_password(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)

    def burn_time(self) -> None:
        """Spend what a real verification costs, so unknown users are not told apart by timing."""
        self.verify_password(self._dummy, "wrong")

    def mint(self, subject: str, claims: dict, ttl: timedelta) -> str:
        extra = {k: v for k, v in claims.items() if k not in ("name", "roles", "perms", "scopes")}
        return self.signer.mint(subject, name=claims.get("name"), roles=claims.get("roles", ()),
                                perms=claims.get("perms", ()), scopes=claims.get("scopes", ()),
                                ttl_seconds=int(ttl.total_seconds()), extra=extra)

    def public_keys(self) -> list[tuple[str, str]]:
        from cryptography.hazmat.primitives import serialization

        return [(key_id(k.public_key()), k.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())
            for k in self.signer.all_keys]
