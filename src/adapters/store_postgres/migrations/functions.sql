-- The store's functions, applied (CREATE OR REPLACE) after the numbered migrations
-- every time they run, so each is written once here instead of again in every
-- migration that changes it. Rules: a change of a function's signature or result
-- comes with a numbered migration that drops the old one; any change here comes with a
-- numbered migration (even one that only says so), so an older pcipass refuses the
-- database instead of putting its own functions back.

-- The first quota of the project that a claim asking p_amounts of p_keys would exceed,
-- as 'resource\nlimit\nuse\nask'; NULL when none.
CREATE OR REPLACE FUNCTION pcipass_over_quota(p_project text, p_keys text[], p_amounts bigint[]) RETURNS text
    LANGUAGE sql STABLE AS $$
  SELECT q.resource || E'\n' || q.quota || E'\n' || u.used || E'\n' || t.amount
    FROM quotas q JOIN unnest(p_keys, p_amounts) AS t(k, amount) ON t.k = q.resource
    CROSS JOIN LATERAL (SELECT coalesce(sum(iu.amount), 0) AS used FROM instance_usage iu JOIN instances i ON i.id = iu.instance
                         WHERE i.project = p_project AND iu.resource = q.resource) u
   WHERE q.project = p_project AND t.amount > 0 AND u.used + t.amount > q.quota
   ORDER BY q.resource LIMIT 1
$$;

-- A claim's last writes: its ports bound (each to the request serving it) and its usage
-- recorded. Raises (raise_exception) when a port is gone or bound already.
CREATE OR REPLACE FUNCTION pcipass_bind_ports(p_id text, p_ports text[], p_port_req bigint[], p_usage_keys text[], p_usage_amounts bigint[])
    RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  IF coalesce(array_length(p_ports, 1), 0) > 0 THEN
    UPDATE ports p SET server = p_id, request = t.r FROM unnest(p_ports, p_port_req) AS t(n, r) WHERE p.name = t.n AND p.server IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> array_length(p_ports, 1) THEN
      RAISE EXCEPTION USING ERRCODE = 'raise_exception', MESSAGE = format('a port of %s is gone or bound already', p_id);
    END IF;
  END IF;
  INSERT INTO instance_usage (instance, resource, amount) SELECT p_id, t.k, t.a FROM unnest(p_usage_keys, p_usage_amounts) AS t(k, a);
END $$;

-- A claim in one round trip. A plpgsql block with EXCEPTION is a savepoint, so inside a
-- batch a refused claim undoes only itself; a row lock held by another controller's
-- open batch answers 'busy' (lock_timeout) instead of waiting. Outcomes (a closed set):
-- ok, nohost, noflavor, flavor (another revision), stale (another generation), exists
-- (the id is taken), held (a device is held; detail names it), twice, busy, noproject,
-- quota (detail: resource, limit, use, ask, one a line), noport and port (detail: the
-- port, and the server holding it, one a line).
CREATE OR REPLACE FUNCTION pcipass_claim(p_host text, p_gen bigint, p_id text, p_flavor text, p_vcpus bigint, p_mem bigint,
    p_cells bigint[], p_cell_vcpus bigint[], p_cell_mem bigint[], p_addr text[], p_req bigint[], p_flavor_rev bigint,
    p_spec_keys text[], p_spec_values text[], p_status text, p_base_domain text,
    p_project text, p_ports text[], p_port_req bigint[], p_usage_keys text[], p_usage_amounts bigint[],
    p_image text, p_key_name text, p_disk_gb bigint,
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
    IF p_project <> '' THEN
      -- The project's row lock orders its claims: its quotas are checked on what
      -- committed before, never on a snapshot that misses another controller's claim.
      PERFORM 1 FROM projects WHERE name = p_project FOR UPDATE;
      IF NOT FOUND THEN outcome := 'noproject'; RETURN; END IF;
      detail := pcipass_over_quota(p_project, p_usage_keys, p_usage_amounts);
      IF detail IS NOT NULL THEN outcome := 'quota'; RETURN; END IF;
      detail := '';
    END IF;
    IF coalesce(array_length(p_ports, 1), 0) > 0 THEN
      -- Locked first, then read: the read sees every binding that committed before.
      PERFORM 1 FROM ports WHERE name = ANY (p_ports) ORDER BY name FOR UPDATE;
      SELECT t.n || E'\n' || coalesce(p.server, '') INTO detail FROM unnest(p_ports) AS t(n) LEFT JOIN ports p ON p.name = t.n
        WHERE p.name IS NULL OR p.server IS NOT NULL ORDER BY t.n LIMIT 1;
      IF detail IS NOT NULL THEN
        outcome := CASE WHEN detail LIKE E'%\n' THEN 'noport' ELSE 'port' END;
        RETURN;
      END IF;
      detail := '';
    END IF;
    SELECT generation INTO cur FROM hosts WHERE name = p_host FOR UPDATE;
    IF NOT FOUND THEN outcome := 'nohost'; RETURN; END IF;
    IF cur <> p_gen THEN outcome := 'stale'; gen := cur; RETURN; END IF;
    UPDATE hosts SET generation = cur + 1 WHERE name = p_host;
    INSERT INTO instances (id, host, flavor, vcpus, memory_mb, extra_spec_keys, extra_spec_values, status, base_domain, project,
                           image, key_name, disk_gb)
      VALUES (p_id, p_host, p_flavor, p_vcpus, p_mem, p_spec_keys, p_spec_values, p_status, p_base_domain, NULLIF(p_project, ''),
              p_image, p_key_name, p_disk_gb);
    INSERT INTO instance_cells (instance, position, cell, vcpus, memory_mb)
      SELECT p_id, t.ord - 1, t.c, t.v, t.m FROM unnest(p_cells, p_cell_vcpus, p_cell_mem) WITH ORDINALITY AS t(c, v, m, ord);
    INSERT INTO allocations (host, address, instance, request)
      SELECT p_host, t.a, p_id, t.r FROM unnest(p_addr, p_req) AS t(a, r);
    PERFORM pcipass_bind_ports(p_id, p_ports, p_port_req, p_usage_keys, p_usage_amounts);
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
    p_spec_keys text[], p_spec_values text[], p_status text, p_base_domain text,
    p_project text, p_ports text[], p_port_req bigint[], p_usage_keys text[], p_usage_amounts bigint[],
    p_image text, p_key_name text, p_disk_gb bigint)
    RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  was bigint;
BEGIN
  IF p_project <> '' THEN
    PERFORM 1 FROM projects WHERE name = p_project FOR UPDATE;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'raise_exception', MESSAGE = format('no project %s', p_project);
    END IF;
    IF pcipass_over_quota(p_project, p_usage_keys, p_usage_amounts) IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'raise_exception', MESSAGE = format('%s would exceed a quota of %s', p_id, p_project);
    END IF;
  END IF;
  -- The same lock order as pcipass_claim: project, ports, host.
  PERFORM 1 FROM ports WHERE name = ANY (p_ports) ORDER BY name FOR UPDATE;
  -- An UPDATE that names only the row waits for a concurrent writer and then works on
  -- its version (a test of the generation in the WHERE clause would see the version
  -- of the statement's snapshot, and miss). A refusal undoes it with the batch.
  UPDATE hosts SET generation = generation + 1 WHERE name = p_host RETURNING generation - 1 INTO was;
  IF was IS DISTINCT FROM p_gen THEN
    RAISE EXCEPTION USING ERRCODE = 'raise_exception', MESSAGE = format('host %s is at generation %s, not %s', p_host, was, p_gen);
  END IF;
  IF p_flavor_rev <> 0 THEN
    INSERT INTO instances (id, host, flavor, vcpus, memory_mb, extra_spec_keys, extra_spec_values, status, base_domain, project,
                           image, key_name, disk_gb)
      SELECT p_id, p_host, p_flavor, p_vcpus, p_mem, p_spec_keys, p_spec_values, p_status, p_base_domain, NULLIF(p_project, ''),
             p_image, p_key_name, p_disk_gb FROM flavors
        WHERE name = p_flavor AND revision = p_flavor_rev;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'raise_exception', MESSAGE = format('flavor %s changed', p_flavor);
    END IF;
  ELSE
    INSERT INTO instances (id, host, flavor, vcpus, memory_mb, extra_spec_keys, extra_spec_values, status, base_domain, project,
                           image, key_name, disk_gb)
      VALUES (p_id, p_host, p_flavor, p_vcpus, p_mem, p_spec_keys, p_spec_values, p_status, p_base_domain, NULLIF(p_project, ''),
              p_image, p_key_name, p_disk_gb);
  END IF;
  IF coalesce(array_length(p_cells, 1), 0) > 0 THEN
    INSERT INTO instance_cells (instance, position, cell, vcpus, memory_mb)
      SELECT p_id, t.ord - 1, t.c, t.v, t.m FROM unnest(p_cells, p_cell_vcpus, p_cell_mem) WITH ORDINALITY AS t(c, v, m, ord);
  END IF;
  INSERT INTO allocations (host, address, instance, request)
    SELECT p_host, t.a, p_id, t.r FROM unnest(p_addr, p_req) AS t(a, r);
  PERFORM pcipass_bind_ports(p_id, p_ports, p_port_req, p_usage_keys, p_usage_amounts);
END $$;

CREATE OR REPLACE FUNCTION pcipass_release_strict(p_id text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  h text;
BEGIN
  DELETE FROM devices d USING allocations a
    WHERE a.instance = p_id AND d.host = a.host AND d.address = a.address AND d.vanished;
  DELETE FROM instances WHERE id = p_id RETURNING host INTO h;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'raise_exception', MESSAGE = format('no server %s', p_id);
  END IF;
  UPDATE hosts SET generation = generation + 1 WHERE name = h;
END $$;
