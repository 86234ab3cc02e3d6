-- One database per service (SPEC §2: each service owns its database), created on the
-- first start of an empty PostgreSQL volume (docker-entrypoint-initdb.d). Owned by the
-- compose role (POSTGRES_USER); names as `atr up` gives them (atr_<service>).
CREATE DATABASE atr_eligibility;
CREATE DATABASE atr_vouchers;
CREATE DATABASE atr_claims;
CREATE DATABASE atr_payments;
CREATE DATABASE atr_reporting;
CREATE DATABASE atr_gateway;
