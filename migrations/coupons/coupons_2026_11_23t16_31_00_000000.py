"""Indexes for the coupon wallet ("my unused coupons", soonest to expire first), per-template counts and the
group a coupon was used by; active templates by claim window for the coupon centre."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T16:31:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "coupon_indexes"

FORWARDS = [
    'CREATE INDEX user_coupon_mine ON user_coupon ("user", status, valid_until)',
    'CREATE INDEX user_coupon_template_user ON user_coupon (template, "user")',
    "CREATE INDEX user_coupon_template_status ON user_coupon (template, status)",
    "CREATE INDEX user_coupon_used_group ON user_coupon (used_group) WHERE used_group IS NOT NULL",
    "CREATE INDEX user_coupon_expiry ON user_coupon (valid_until) WHERE status = 'unused'",
    "CREATE INDEX coupon_template_claimable ON coupon_template (status, claim_end_at)",
    "CREATE INDEX coupon_template_welcome ON coupon_template (welcome_pack) WHERE welcome_pack",
]

BACKWARDS = [
    f"DROP INDEX IF EXISTS {name}"
    for name in (
        "user_coupon_mine",
        "user_coupon_template_user",
        "user_coupon_template_status",
        "user_coupon_used_group",
        "user_coupon_expiry",
        "coupon_template_claimable",
        "coupon_template_welcome",
    )
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="coupons", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in FORWARDS:
            await engine.run_ddl(statement)

    async def run_backwards():
        engine = engine_finder()
        for statement in BACKWARDS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
