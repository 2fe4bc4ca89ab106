"""Who is acting: the signed-in user as the web layer sees it, and the actor recorded by the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field

PLATFORM_ROLES = ("admin", "moderator", "finance", "operations")
SHOP_ROLES = ("owner", "manager", "service", "warehouse", "finance")


@dataclass(frozen=True, slots=True)
class Principal:
    id: int
    display_name: str
    email: str | None
    phone: str | None
    locale: str
    status: str
    auth_epoch: int
    platform_roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def identifier(self) -> str:
        return self.email or self.phone or ""

    @property
    def is_platform_staff(self) -> bool:
        return bool(self.platform_roles)

    def has_platform_role(self, *roles: str) -> bool:
        """Admins hold every platform role."""
        return "admin" in self.platform_roles or bool(self.platform_roles.intersection(roles))


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change and from where; passed to every service that changes state."""

    user_id: int | None
    ip: str | None = None
    label: str = ""
