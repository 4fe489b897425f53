"""The admin API: clients, key rotation and access rights, behind an admin credential."""

from bus.admin.credential import ADMIN_KEY_HEADER, AdminCredential
from bus.admin.router import admin_router

__all__ = ["ADMIN_KEY_HEADER", "AdminCredential", "admin_router"]
