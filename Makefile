# The few commands people type. Each is a thin wrapper around a script in scripts/.
.PHONY: run test test-postgres messages ci

POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres

run:  ## Install once, prepare and serve Yenni Ad at http://127.0.0.1:8000
	bash scripts/run.sh

test:  ## Lint, migration check and the test suite on SQLite
	bash scripts/test.sh

test-postgres:  ## The same, then the suite again on PostgreSQL (POSTGRES_URL)
	bash scripts/test.sh --postgres $(POSTGRES_URL)

messages:  ## Refresh the translation catalogues and compile them
	YENNI_DEBUG=1 .venv/bin/python manage.py makemessages -l es -l en --ignore=.venv --ignore=var --ignore=staticfiles
	YENNI_DEBUG=1 .venv/bin/python manage.py compilemessages --ignore=.venv

ci:  ## What CI runs on a clean clone
	bash .ci/run
