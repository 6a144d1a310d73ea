-- One database per service, owned by the application role (POSTGRES_USER).
-- `jingzhun migrate` also creates a missing database.
CREATE DATABASE jz_registry;
CREATE DATABASE jz_identification;
CREATE DATABASE jz_funds;
CREATE DATABASE jz_audit;
