"""A test identity provider: RSA/EC signing keys, their JWKS served by a mock transport, tokens."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://idp.example.test/realms/sc"
AUDIENCE = "jingzhun"
JWKS_URL = "https://idp.example.test/realms/sc/certs"


@dataclass
class SigningKey:
    """A private key with its kid and algorithm."""

    kid: str
    algorithm: str
    private: Any

    @classmethod
    def rsa(cls, kid: str) -> SigningKey:
        """A fresh RSA 2048 key (RS256)."""
        return cls(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str) -> SigningKey:
        """A fresh P-256 key (ES256)."""
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict[str, Any]:
        """The public half as a JWK."""
        maker = RSAAlgorithm if self.algorithm.startswith("RS") else ECAlgorithm
        doc: dict[str, Any] = json.loads(maker.to_jwk(self.private.public_key()))
        return {**doc, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        """A token with these claims, its header naming this key."""
        return jwt.encode(claims, self.private, algorithm=self.algorithm, headers={"kid": self.kid, **header})


def claims(**overrides: Any) -> dict[str, Any]:
    """A township reviewer's claims as the provider would issue them; ``None`` drops a claim."""
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "u-1001",
        "jz_role": "township_reviewer",
        "jz_division": "510822104000",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@dataclass
class FakeProvider:
    """Serves the current JWKS through an ``httpx.MockTransport`` and counts fetches."""

    keys: list[SigningKey]
    fetches: int = 0
    down: bool = False
    extra: list[dict[str, Any]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """The JWKS as currently published."""
        return {"keys": [k.jwk() for k in self.keys] + self.extra}

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer a JWKS fetch."""
        self.fetches += 1
        if self.down:
            return httpx.Response(503)
        return httpx.Response(200, json=self.document())

    def transport(self) -> httpx.MockTransport:
        """A transport for the verifier's JWKS client."""
        return httpx.MockTransport(self.handler)
