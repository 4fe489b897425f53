"""Client credentials and rights: API keys with rotation, OAuth2 tokens, run-time access rights."""

from bus.auth.keyring import KeyRing, RotatedKey, RotatedKeys
from bus.auth.oauth import token_router
from bus.auth.rights import Right, RightsBook
from bus.auth.settings import AuthSettings
from bus.auth.tokens import IssuedToken, TokenIssuer

__all__ = [
    "AuthSettings",
    "IssuedToken",
    "KeyRing",
    "Right",
    "RightsBook",
    "RotatedKey",
    "RotatedKeys",
    "TokenIssuer",
    "token_router",
]
