"""The ledger's rules in the database, not only in Python:

- every transaction's entries sum to zero: a DEFERRABLE INITIALLY DEFERRED constraint trigger checks the sum per
  transaction at commit (so a transaction's entries may be inserted one by one);
- an entry of zero is refused (CHECK), and shop accounts carry their shop;
- entries and transactions are append-only: UPDATE and DELETE raise (a correction is a new transaction; a
  transaction is filed into its statement when it is posted)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T19:08:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger_rules"

FORWARDS = [
    "ALTER TABLE ledger_entry ADD CONSTRAINT ledger_entry_nonzero CHECK (amount_fen <> 0)",
    "ALTER TABLE ledger_entry ADD CONSTRAINT ledger_entry_account CHECK (account IN ('shop_pending', "
    "'shop_available', 'shop_payout', 'shop_deposit', 'gateway_clearing', 'commission_revenue', "
    "'subsidy_expense', 'fee_revenue', 'paid_out') AND ((account LIKE 'shop\\_%') = (shop IS NOT NULL)))",
    """CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
        total numeric;
    BEGIN
        SELECT coalesce(sum(amount_fen), 0) INTO total FROM ledger_entry WHERE txn = NEW.txn;
        IF total <> 0 THEN
            RAISE EXCEPTION 'ledger transaction % does not balance: entries sum to %', NEW.txn, total
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END
    $fn$""",
    "CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entry "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced()",
    """CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
        RAISE EXCEPTION 'the ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END
    $fn$""",
    "CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry "
    "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()",
    "CREATE TRIGGER ledger_txn_append_only BEFORE UPDATE OR DELETE ON ledger_txn "
    "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()",
    "CREATE INDEX ledger_entry_account_shop ON ledger_entry (shop, account)",
]

BACKWARDS = [
    "DROP INDEX IF EXISTS ledger_entry_account_shop",
    "DROP TRIGGER IF EXISTS ledger_txn_append_only ON ledger_txn",
    "DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_entry",
    "DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_entry",
    "DROP FUNCTION IF EXISTS ledger_append_only()",
    "DROP FUNCTION IF EXISTS ledger_check_balanced()",
    "ALTER TABLE ledger_entry DROP CONSTRAINT IF EXISTS ledger_entry_account",
    "ALTER TABLE ledger_entry DROP CONSTRAINT IF EXISTS ledger_entry_nonzero",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="settlement", description=DESCRIPTION)

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
