-- Claims and releases in one round trip each. The functions (pcipass_claim,
-- pcipass_release and their *_strict forms) live in functions.sql, which every
-- migration run applies after the numbered migrations; a numbered migration only
-- drops a function whose signature changes.
SELECT 1;
