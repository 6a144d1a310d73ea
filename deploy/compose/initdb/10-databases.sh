#!/usr/bin/env bash
# Run once by the postgres image on an empty data directory (executed, or sourced when it is not
# executable): per service a LOGIN role jz_<service> (password from JZ_<SERVICE>_DB_PASSWORD,
# passed in from .env.stack) and a database jz_<service> owned by it. CONNECT is revoked from
# PUBLIC, so a service's role reaches only its own database (the superuser POSTGRES_USER reaches
# all). Safe to run again by hand (`docker compose exec -T postgres bash
# /docker-entrypoint-initdb.d/10-databases.sh`): it creates what is missing and resets owners,
# privileges and passwords. Names and passwords reach SQL only as psql variables, quoted by
# format() (%I identifiers, %L literals). Adding a service: its password check and its
# jz_service_database line below.
set -Eeo pipefail

jz_service_database() {  # <database> <role> <password>
	psql -X -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-postgres}" \
		--set=database="$1" --set=role="$2" --set=password="$3" <<-'EOSQL'
		SELECT format('CREATE ROLE %I', :'role')
		 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
		SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L',
		              :'role', :'password') \gexec
		SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role')
		 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
		SELECT format('ALTER DATABASE %I OWNER TO %I', :'database', :'role') \gexec
		SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database') \gexec
		SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'database', :'role') \gexec
		\connect :"database"
		SELECT format('ALTER SCHEMA public OWNER TO %I', :'role') \gexec
	EOSQL
}

# Every password first, so a missing one stops the script before it changes anything.
: "${JZ_REGISTRY_DB_PASSWORD:?set JZ_REGISTRY_DB_PASSWORD in .env.stack}"
: "${JZ_IDENTIFICATION_DB_PASSWORD:?set JZ_IDENTIFICATION_DB_PASSWORD in .env.stack}"
: "${JZ_FUNDS_DB_PASSWORD:?set JZ_FUNDS_DB_PASSWORD in .env.stack}"
: "${JZ_AUDIT_DB_PASSWORD:?set JZ_AUDIT_DB_PASSWORD in .env.stack}"

jz_service_database jz_registry jz_registry "$JZ_REGISTRY_DB_PASSWORD"
jz_service_database jz_identification jz_identification "$JZ_IDENTIFICATION_DB_PASSWORD"
jz_service_database jz_funds jz_funds "$JZ_FUNDS_DB_PASSWORD"
jz_service_database jz_audit jz_audit "$JZ_AUDIT_DB_PASSWORD"
