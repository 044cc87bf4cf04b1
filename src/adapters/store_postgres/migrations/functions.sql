-- The store's functions, applied (CREATE OR REPLACE) after the numbered migrations
-- every time they run, so each is written once here instead of again in every
-- migration that changes it. Rules: a change of a function's signature or result
-- comes with a numbered migration that drops the old one; any change here comes with a
-- numbered migration (even one that only says so), so an older pcipass refuses the
-- database instead of putting its own functions back.

-- A claim in one round trip. A plpgsql block with EXCEPTION is a savepoint, so inside a
-- batch a refused claim undoes only itself; a row lock held by another controller's
-- open batch answers 'busy' (lock_timeout) instead of waiting. Outcomes (a closed set):
-- ok, nohost, noflavor, flavor (another revision), stale (another generation), exists
-- (the id is taken), held (a device is held; detail names it), twice, busy.
CREATE OR REPLACE FUNCTION pcipass_claim(p_host text, p_gen bigint, p_id text, p_flavor text, p_vcpus bigint, p_mem bigint,
    p_cells bigint[], p_cell_vcpus bigint[], p_cell_mem bigint[], p_addr text[], p_req bigint[], p_flavor_rev bigint,
    p_spec_keys text[], p_spec_values text[], p_status text, p_base_domain text,
    OUT outcome text, OUT gen bigint, OUT detail text) LANGUAGE plpgsql AS $$
DECLARE
  cur bigint;
  rev bigint;
BEGIN
  gen := 0;
  detail := '';
  IF p_flavor_rev <> 0 THEN
    SELECT revision INTO rev FROM flavors WHERE name = p_flavor;
    IF NOT FOUND THEN outcome := 'noflavor'; RETURN; END IF;
    IF rev <> p_flavor_rev THEN outcome := 'flavor'; gen := rev; RETURN; END IF;
  END IF;
  BEGIN
    SELECT generation INTO cur FROM hosts WHERE name = p_host FOR UPDATE;
    IF NOT FOUND THEN outcome := 'nohost'; RETURN; END IF;
    IF cur <> p_gen THEN outcome := 'stale'; gen := cur; RETURN; END IF;
    UPDATE hosts SET generation = cur + 1 WHERE name = p_host;
    INSERT INTO instances (id, host, flavor, vcpus, memory_mb, extra_spec_keys, extra_spec_values, status, base_domain)
      VALUES (p_id, p_host, p_flavor, p_vcpus, p_mem, p_spec_keys, p_spec_values, p_status, p_base_domain);
    INSERT INTO instance_cells (instance, position, cell, vcpus, memory_mb)
      SELECT p_id, t.ord - 1, t.c, t.v, t.m FROM unnest(p_cells, p_cell_vcpus, p_cell_mem) WITH ORDINALITY AS t(c, v, m, ord);
    INSERT INTO allocations (host, address, instance, request)
      SELECT p_host, t.a, p_id, t.r FROM unnest(p_addr, p_req) AS t(a, r);
    outcome := 'ok';
    gen := cur + 1;
  EXCEPTION
    WHEN unique_violation THEN
      IF EXISTS (SELECT 1 FROM instances WHERE id = p_id) THEN outcome := 'exists'; RETURN; END IF;
      SELECT a.address || ' is already held by ' || a.instance INTO detail FROM allocations a
        WHERE a.host = p_host AND a.address = ANY (p_addr) LIMIT 1;
      IF detail IS NULL THEN outcome := 'twice'; detail := ''; ELSE outcome := 'held'; END IF;
    WHEN lock_not_available THEN
      outcome := 'busy';
  END;
END $$;

-- A release in one round trip: 'ok', 'missing' or 'busy'.
CREATE OR REPLACE FUNCTION pcipass_release(p_id text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  h text;
BEGIN
  BEGIN
    SELECT host INTO h FROM instances WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN RETURN 'missing'; END IF;
    UPDATE hosts SET generation = generation + 1 WHERE name = h;
    DELETE FROM devices WHERE vanished AND host = h AND address IN
      (SELECT address FROM allocations WHERE instance = p_id AND host = h);
    DELETE FROM instances WHERE id = p_id;
    RETURN 'ok';
  EXCEPTION WHEN lock_not_available THEN
    RETURN 'busy';
  END;
END $$;

-- Deferred (pipelined) claims and releases, inside a batch: any refusal raises (SQLSTATE
-- P0001, raise_exception, or 23505 for a taken id or a held device) and so rolls the
-- whole batch back, which needs no exception block (no subtransaction).
CREATE OR REPLACE FUNCTION pcipass_claim_strict(p_host text, p_gen bigint, p_id text, p_flavor text, p_vcpus bigint, p_mem bigint,
    p_cells bigint[], p_cell_vcpus bigint[], p_cell_mem bigint[], p_addr text[], p_req bigint[], p_flavor_rev bigint,
    p_spec_keys text[], p_spec_values text[], p_status text, p_base_domain text)
    RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  was bigint;
BEGIN
  -- An UPDATE that names only the row waits for a concurrent writer and then works on
  -- its version (a test of the generation in the WHERE clause would see the version
  -- of the statement's snapshot, and miss). A refusal undoes it with the batch.
  UPDATE hosts SET generation = generation + 1 WHERE name = p_host RETURNING generation - 1 INTO was;
  IF was IS DISTINCT FROM p_gen THEN
    RAISE EXCEPTION USING ERRCODE = 'raise_exception', MESSAGE = format('host %s is at generation %s, not %s', p_host, was, p_gen);
  END IF;
  IF p_flavor_rev <> 0 THEN
    INSERT INTO instances (id, host, flavor, vcpus, memory_mb, extra_spec_keys, extra_spec_values, status, base_domain)
      SELECT p_id, p_host, p_flavor, p_vcpus, p_mem, p_spec_keys, p_spec_values, p_status, p_base_domain FROM flavors
        WHERE name = p_flavor AND revision = p_flavor_rev;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'raise_exception', MESSAGE = format('flavor %s changed', p_flavor);
    END IF;
  ELSE
    INSERT INTO instances (id, host, flavor, vcpus, memory_mb, extra_spec_keys, extra_spec_values, status, base_domain)
      VALUES (p_id, p_host, p_flavor, p_vcpus, p_mem, p_spec_keys, p_spec_values, p_status, p_base_domain);
  END IF;
  IF coalesce(array_length(p_cells, 1), 0) > 0 THEN
    INSERT INTO instance_cells (instance, position, cell, vcpus, memory_mb)
      SELECT p_id, t.ord - 1, t.c, t.v, t.m FROM unnest(p_cells, p_cell_vcpus, p_cell_mem) WITH ORDINALITY AS t(c, v, m, ord);
  END IF;
  INSERT INTO allocations (host, address, instance, request)
    SELECT p_host, t.a, p_id, t.r FROM unnest(p_addr, p_req) AS t(a, r);
END $$;

CREATE OR REPLACE FUNCTION pcipass_release_strict(p_id text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  h text;
BEGIN
  DELETE FROM devices d USING allocations a
    WHERE a.instance = p_id AND d.host = a.host AND d.address = a.address AND d.vanished;
  DELETE FROM instances WHERE id = p_id RETURNING host INTO h;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'raise_exception', MESSAGE = format('no instance %s', p_id);
  END IF;
  UPDATE hosts SET generation = generation + 1 WHERE name = h;
END $$;
