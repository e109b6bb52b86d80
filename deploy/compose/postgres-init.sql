-- Runs once, when the PostgreSQL data volume is first initialised.
-- One database and one owning role per service: no service reads another's database.
-- Development credentials only; production uses a managed PostgreSQL and secrets.

CREATE ROLE profiles LOGIN PASSWORD 'profiles';
CREATE ROLE matching LOGIN PASSWORD 'matching';
CREATE ROLE engagement LOGIN PASSWORD 'engagement';

CREATE DATABASE profiles OWNER profiles;
CREATE DATABASE matching OWNER matching;
CREATE DATABASE engagement OWNER engagement;

REVOKE ALL ON DATABASE profiles FROM PUBLIC;
REVOKE ALL ON DATABASE matching FROM PUBLIC;
REVOKE ALL ON DATABASE engagement FROM PUBLIC;
