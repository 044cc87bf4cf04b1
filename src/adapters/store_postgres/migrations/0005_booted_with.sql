-- What each server was booted with: its flavor's extra specs as they were then (keys
-- and values in order), so its view and libvirt XML never change when the flavor does.
-- Arrays on the instance row: a claim writes no extra rows.
ALTER TABLE instances ADD COLUMN extra_spec_keys TEXT[] NOT NULL DEFAULT '{}',
                      ADD COLUMN extra_spec_values TEXT[] NOT NULL DEFAULT '{}';
-- Servers booted before this migration: the flavor as it is now is the best record.
UPDATE instances i SET extra_spec_keys = s.k, extra_spec_values = s.v
  FROM (SELECT flavor, array_agg(key ORDER BY position) AS k, array_agg(value ORDER BY position) AS v
          FROM flavor_extra_specs GROUP BY flavor) s
  WHERE s.flavor = i.flavor;
-- The claim functions take the extra specs now: functions.sql makes the new ones.
DROP FUNCTION IF EXISTS pcipass_claim(text, bigint, text, text, bigint, bigint, bigint[], bigint[], bigint[], text[], bigint[], bigint);
DROP FUNCTION IF EXISTS pcipass_claim_strict(text, bigint, text, text, bigint, bigint, bigint[], bigint[], bigint[], text[], bigint[], bigint);
