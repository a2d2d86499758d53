"""PostgreSQL guards of the ledger, for the lead to add as a ``migrations.RunSQL`` (forward, reverse).

1. ``grants_ledgerentry`` is append-only: any UPDATE or DELETE raises, whoever issues it (the ORM
   already refuses; this also stops raw SQL, another app's admin, or a bad migration).
   TRUNCATE is deliberately left alone: Django's ``flush`` (TransactionTestCase, ``reset_db``)
   uses it. The suite runs ``--nomigrations``, so ``tests/grants/test_funding_ledger_sql.py``
   installs the SQL inside a test transaction and checks both guards and the reverse.
2. Paying never exceeds the award: inserting a ``tranche_paid`` row whose application's paid total
   would pass the sum of its ``award`` rows raises. The disbursement service checks it under a row
   lock first; this is the last line of defence, taken with the application row locked
   (``FOR UPDATE``) so that two concurrent inserts are serialised.

Usage in a migration::

    from grants.ledger_sql import FORWARD_SQL, REVERSE_SQL
    migrations.RunSQL(FORWARD_SQL, REVERSE_SQL)
"""

FORWARD_SQL = r"""
CREATE OR REPLACE FUNCTION grants_ledgerentry_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'grants_ledgerentry is append-only: % refused; post a correcting entry', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

DROP TRIGGER IF EXISTS grants_ledgerentry_no_update_delete ON grants_ledgerentry;
CREATE TRIGGER grants_ledgerentry_no_update_delete
    BEFORE UPDATE OR DELETE ON grants_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION grants_ledgerentry_immutable();

CREATE OR REPLACE FUNCTION grants_ledgerentry_paid_within_award() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    awarded numeric;
    paid numeric;
BEGIN
    IF NEW.kind <> 'tranche_paid' THEN
        RETURN NEW;
    END IF;
    IF NEW.application_id IS NULL THEN
        RAISE EXCEPTION 'a tranche_paid ledger entry must name its application'
            USING ERRCODE = 'check_violation';
    END IF;
    -- Serialise concurrent payments of one project on its application row.
    PERFORM 1 FROM grants_application WHERE id = NEW.application_id FOR UPDATE;
    SELECT COALESCE(SUM(amount), 0) INTO awarded FROM grants_ledgerentry
        WHERE application_id = NEW.application_id AND kind = 'award';
    SELECT COALESCE(SUM(amount), 0) INTO paid FROM grants_ledgerentry
        WHERE application_id = NEW.application_id AND kind = 'tranche_paid';
    IF paid + NEW.amount > awarded THEN
        RAISE EXCEPTION 'tranche payments (% + %) would exceed the award (%) of application %',
            paid, NEW.amount, awarded, NEW.application_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS grants_ledgerentry_paid_within_award ON grants_ledgerentry;
CREATE TRIGGER grants_ledgerentry_paid_within_award
    BEFORE INSERT ON grants_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION grants_ledgerentry_paid_within_award();
"""

REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS grants_ledgerentry_paid_within_award ON grants_ledgerentry;
DROP FUNCTION IF EXISTS grants_ledgerentry_paid_within_award();
DROP TRIGGER IF EXISTS grants_ledgerentry_no_update_delete ON grants_ledgerentry;
DROP FUNCTION IF EXISTS grants_ledgerentry_immutable();
"""
