-- Written by `make deploy-files` from each service's ServiceSpec: edit the specs, not this file.
-- Runs once, when the PostgreSQL data volume is first initialised.
-- One database and one owning role per service: no service reads another's database.
-- Development credentials only; production uses a managed PostgreSQL and secrets.

CREATE ROLE profiles LOGIN PASSWORD 'profiles';
CREATE DATABASE profiles OWNER profiles;
REVOKE ALL ON DATABASE profiles FROM PUBLIC;

CREATE ROLE matching LOGIN PASSWORD 'matching';
CREATE DATABASE matching OWNER matching;
REVOKE ALL ON DATABASE matching FROM PUBLIC;

CREATE ROLE engagement LOGIN PASSWORD 'engagement';
CREATE DATABASE engagement OWNER engagement;
REVOKE ALL ON DATABASE engagement FROM PUBLIC;
