"""Labour and social affairs mock (Bộ LĐTBXH): the funeral allowance of social-assistance beneficiaries."""

from services.social.app import create_app
from services.social.settings import SocialSettings

__all__ = ["SocialSettings", "create_app"]
